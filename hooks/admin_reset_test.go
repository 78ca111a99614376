package hooks

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"

	"reserva/internal/store"
)

var resetLink = regexp.MustCompile(`https://booking\.test/admin/reset/([A-Za-z0-9_-]{43})`)

// askReset posts the forgot-password form for email and fails the test unless it answers as
// it must for every address: 303 to the same calm page.
func (s *testServer) askReset(t testing.TB, email string) response {
	t.Helper()
	res := s.post(t, "/admin/forgot", url.Values{"email": {email}})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/admin/forgot?done=reset_sent" {
		t.Fatalf("POST /admin/forgot for %s = %d to %q, want 303 to the sent page", email, res.status, res.header.Get("Location"))
	}
	return res
}

// resetTokens are the tokens of the reset mails to email in the outbox, oldest first.
func (s *testServer) resetTokens(t testing.TB, email string) []string {
	t.Helper()
	var out []string
	for _, m := range s.outboxRows(t, store.MailStaffReset) {
		if m.To != email {
			continue
		}
		link := resetLink.FindStringSubmatch(m.Text)
		if link == nil {
			t.Fatalf("reset mail without a link:\n%s", m.Text)
		}
		out = append(out, link[1])
	}
	return out
}

// TestForgotPasswordAnswersAlike: an unknown address, a deactivated member and an active one
// get the same answer; only the active member gets a mail, and every request is audited.
func TestForgotPasswordAnswersAlike(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	active := s.staffAccount(t, "desk@demo.invalid", "frontdesk")
	gone := s.staffAccount(t, "gone@demo.invalid", "frontdesk")
	gone.SetActive(false)
	if err := gone.Save(s.app); err != nil {
		t.Fatal(err)
	}
	mustContain(t, "sign-in page", s.get(t, "/admin/login").body, `href="/admin/forgot"`, "Forgot your password?")
	form := s.get(t, "/admin/forgot")
	if form.status != http.StatusOK {
		t.Fatalf("GET /admin/forgot = %d", form.status)
	}
	mustContain(t, "forgot page", form.body, `data-testid="forgot-form"`, `name="email"`)

	answers := map[string]response{}
	for _, email := range []string{"nobody@demo.invalid", " DESK@demo.invalid ", "gone@demo.invalid"} {
		answers[email] = s.askReset(t, email)
	}
	unknown := answers["nobody@demo.invalid"]
	for email, res := range answers {
		if res.body != unknown.body || res.header.Get("Location") != unknown.header.Get("Location") {
			t.Errorf("the answer for %q differs from the one for an unknown address", email)
		}
	}
	sent := s.get(t, "/admin/forgot?done=reset_sent")
	mustContain(t, "sent page", sent.body, "If this address belongs to an active staff account, a link to choose a new password is on its way.")
	mustNotContain(t, "sent page", sent.body, "desk@demo.invalid", "nobody@demo.invalid")

	rows := s.outboxRows(t, store.MailStaffReset)
	if len(rows) != 1 || rows[0].To != "desk@demo.invalid" || rows[0].Status != store.MailQueued {
		t.Fatalf("reset mails: %d rows, want one queued to desk@demo.invalid", len(rows))
	}
	if rows[0].Subject != "Choose a new password for Demo Bistro & Pottery" {
		t.Errorf("subject %q", rows[0].Subject)
	}
	mustContain(t, "reset mail", rows[0].Text, "https://booking.test/admin/reset/", "works once, until 11:00 CET")
	// The worker sends it as it is, and its link opens the reset page.
	if st, err := s.jobs.Deliver(50); err != nil || st.Sent != 1 {
		t.Fatalf("deliver: %+v %v", st, err)
	}
	got := s.relay.messages()
	if len(got) != 1 || got[0].To != "desk@demo.invalid" || got[0].Text != rows[0].Text {
		t.Fatalf("relay got %d messages", len(got))
	}
	link := resetLink.FindStringSubmatch(got[0].Text)
	if link == nil {
		t.Fatalf("no reset link in the sent mail:\n%s", got[0].Text)
	}
	if page := s.get(t, "/admin/reset/"+link[1]); page.status != http.StatusOK {
		t.Errorf("the mailed link = %d, want 200", page.status)
	}
	if s.count(t, "staff_password_resets", dbx.HashExp{"staff": gone.Id}) != 0 {
		t.Errorf("a deactivated member got a reset link")
	}

	for target, detail := range map[string]string{"": "unknown account, no mail", "staff/" + gone.Id: "deactivated, no mail",
		"staff/" + active.Id: "mailed"} {
		if n := s.count(t, "audit_log", dbx.HashExp{"action": "staff.password_reset_requested", "target": target, "detail": detail}); n != 1 {
			t.Errorf("audit entries for %q (%s) = %d, want 1", target, detail, n)
		}
	}
	if n := s.count(t, "audit_log", dbx.NewExp("action = 'staff.password_reset_requested' AND detail LIKE '%@%'")); n != 0 {
		t.Errorf("%d audit entries hold an address", n)
	}

	if res := s.post(t, "/admin/forgot", url.Values{"email": {"not an address"}}); res.status != http.StatusUnprocessableEntity {
		t.Errorf("a malformed address = %d, want 422", res.status)
	}
}

// TestPasswordResetByMail: the mailed link sets a new password once; the old one stops
// working, every session ends, the sign-in back-off of the account is cleared, and the change
// is audited. Only the link's hash is stored.
func TestPasswordResetByMail(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	cookie, desk := s.signedIn(t, "frontdesk")
	tokenKey := desk.TokenKey()
	// A stranger (at the test's address) has locked the account out.
	for i := range backoffFreeAccount {
		if res, _ := s.signIn(t, desk.Email(), "a stranger's guess "+string(rune('a'+i))); res.status != http.StatusUnauthorized {
			t.Fatalf("wrong password %d = %d", i+1, res.status)
		}
	}
	if res, _ := s.signIn(t, desk.Email(), testPassword); res.status != http.StatusTooManyRequests {
		t.Fatalf("the locked-out account = %d, want 429", res.status)
	}

	s.askReset(t, desk.Email())
	tokens := s.resetTokens(t, desk.Email())
	if len(tokens) != 1 {
		t.Fatalf("reset mails = %d, want 1", len(tokens))
	}
	token := tokens[0]
	if n := s.count(t, "staff_password_resets", dbx.HashExp{"token_hash": store.HashToken(token)}); n != 1 {
		t.Errorf("reset rows by hash = %d, want 1", n)
	}
	if n := s.count(t, "staff_password_resets", dbx.HashExp{"token_hash": token}); n != 0 {
		t.Errorf("the raw token is stored")
	}
	r, err := store.PasswordResetByToken(s.app, token)
	if err != nil || !r.Expires.Time().Equal(s.now.Add(time.Hour)) || r.Staff != desk.Id {
		t.Fatalf("reset stored: %+v %v", r, err)
	}

	page := s.get(t, "/admin/reset/"+token)
	if page.status != http.StatusOK {
		t.Fatalf("GET the link = %d", page.status)
	}
	mustContain(t, "reset page", page.body, `data-testid="reset-form"`, "desk@demo.invalid", `name="password2"`)
	// Opening the page spends nothing.
	if r, _ := store.PasswordResetByToken(s.app, token); !r.UsedAt.IsZero() {
		t.Errorf("GET used the link")
	}
	const newPassword = "copper-meadow-lighthouse"
	for _, bad := range []url.Values{
		{"password": {"password1234"}, "password2": {"password1234"}},
		{"password": {newPassword}, "password2": {newPassword + "!"}},
	} {
		if res := s.post(t, "/admin/reset/"+token, bad); res.status != http.StatusUnprocessableEntity {
			t.Errorf("reset with %v = %d, want 422", bad, res.status)
		}
	}
	res := s.post(t, "/admin/reset/"+token, url.Values{"password": {newPassword}, "password2": {newPassword}})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/admin/login?done=password_reset" {
		t.Fatalf("reset = %d to %q\n%s", res.status, res.header.Get("Location"), snippet(res.body))
	}
	mustContain(t, "sign-in after the reset", s.get(t, "/admin/login?done=password_reset").body,
		"Your new password is saved and every earlier session has ended.")

	after, err := store.StaffByID(s.app, desk.Id)
	if err != nil {
		t.Fatal(err)
	}
	if after.TokenKey() == tokenKey {
		t.Errorf("the account's token key did not change with the password")
	}
	if n := s.count(t, "staff_sessions", dbx.HashExp{"staff": desk.Id}); n != 0 {
		t.Errorf("%d sessions outlived the reset", n)
	}
	if page := s.as(t, cookie, http.MethodGet, "/admin/", nil); page.status != http.StatusSeeOther {
		t.Errorf("the session from before the reset = %d, want a sign-in redirect", page.status)
	}
	// The back-off is cleared: the new password works at once from the locked-out address.
	if res, _ := s.signIn(t, desk.Email(), testPassword); res.status != http.StatusUnauthorized {
		t.Errorf("the old password = %d, want 401", res.status)
	}
	if res, c := s.signIn(t, desk.Email(), newPassword); res.status != http.StatusSeeOther || c == "" {
		t.Errorf("the new password = %d, want 303 with a session", res.status)
	}

	if res := s.post(t, "/admin/reset/"+token, url.Values{"password": {"another-harbour-quince"}, "password2": {"another-harbour-quince"}}); res.status != http.StatusNotFound {
		t.Errorf("the link used twice = %d, want 404", res.status)
	}
	gone := s.get(t, "/admin/reset/"+token)
	if gone.status != http.StatusNotFound {
		t.Errorf("GET a used link = %d, want 404", gone.status)
	}
	mustContain(t, "used link", gone.body, "This link is no longer valid")
	if after, _ := store.StaffByID(s.app, desk.Id); !after.ValidatePassword(newPassword) {
		t.Errorf("the second use changed the password")
	}
	if n := s.count(t, "audit_log", dbx.HashExp{"action": "staff.password_reset", "target": "staff/" + desk.Id, "actor": store.StaffActor(desk.Id)}); n != 1 {
		t.Errorf("password reset audit entries = %d, want 1", n)
	}
	for _, bad := range []string{strings.Repeat("A", 43), "short"} {
		if res := s.get(t, "/admin/reset/"+bad); res.status != http.StatusNotFound {
			t.Errorf("GET /admin/reset/%s = %d, want 404", bad, res.status)
		}
	}
}

// TestPasswordResetLinksExpireAndOnlyTheNewestWorks: a link lasts an hour by the handlers'
// clock; a new request ends the earlier links; a member gets at most three links an hour; a
// member deactivated after asking cannot use the link.
func TestPasswordResetLinksExpireAndOnlyTheNewestWorks(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	desk := s.staffAccount(t, "desk@demo.invalid", "frontdesk")
	s.askReset(t, desk.Email())
	first := s.resetTokens(t, desk.Email())[0]
	s.now = s.now.Add(59 * time.Minute)
	if res := s.get(t, "/admin/reset/"+first); res.status != http.StatusOK {
		t.Errorf("after 59 minutes = %d, want 200", res.status)
	}
	s.now = s.now.Add(time.Minute)
	if res := s.get(t, "/admin/reset/"+first); res.status != http.StatusNotFound {
		t.Errorf("after an hour = %d, want 404", res.status)
	}
	form := url.Values{"password": {"copper-meadow-lighthouse"}, "password2": {"copper-meadow-lighthouse"}}
	if res := s.post(t, "/admin/reset/"+first, form); res.status != http.StatusNotFound {
		t.Errorf("POST an expired link = %d, want 404", res.status)
	}

	s.now = s.now.Add(time.Minute)
	s.askReset(t, desk.Email())
	s.askReset(t, desk.Email())
	tokens := s.resetTokens(t, desk.Email())
	if len(tokens) != 3 {
		t.Fatalf("reset mails = %d, want 3", len(tokens))
	}
	if res := s.get(t, "/admin/reset/"+tokens[1]); res.status != http.StatusNotFound {
		t.Errorf("a link replaced by a newer one = %d, want 404", res.status)
	}
	if res := s.get(t, "/admin/reset/"+tokens[2]); res.status != http.StatusOK {
		t.Errorf("the newest link = %d, want 200", res.status)
	}
	// Three links within the hour: the fourth request gets the same answer and no mail.
	s.askReset(t, desk.Email())
	s.askReset(t, desk.Email())
	if tokens = s.resetTokens(t, desk.Email()); len(tokens) != 4 {
		t.Fatalf("reset mails after the hourly limit = %d, want 4", len(tokens))
	}
	if n := s.count(t, "audit_log", dbx.HashExp{"action": "staff.password_reset_requested", "detail": "hourly limit reached, no mail"}); n != 1 {
		t.Errorf("limited requests audited = %d, want 1", n)
	}
	if res := s.get(t, "/admin/reset/"+tokens[3]); res.status != http.StatusOK {
		t.Errorf("the newest link after a limited request = %d, want 200", res.status)
	}

	// Deactivated after asking: the link no longer works.
	desk.SetActive(false)
	if err := desk.Save(s.app); err != nil {
		t.Fatal(err)
	}
	if res := s.post(t, "/admin/reset/"+tokens[3], form); res.status != http.StatusNotFound {
		t.Errorf("the link of a deactivated member = %d, want 404", res.status)
	}
	if after, _ := store.StaffByID(s.app, desk.Id); !after.ValidatePassword(testPassword) {
		t.Errorf("a deactivated member's password was changed")
	}
}

// TestPasswordResetKeepsTwoFactor: a reset by mail changes the password only; the next
// sign-in still asks for the authenticator's code.
func TestPasswordResetKeepsTwoFactor(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	cookie, desk := s.signedIn(t, "frontdesk")
	secret := secretOnPage.FindStringSubmatch(s.as(t, cookie, http.MethodGet, "/admin/2fa/setup", nil).body)
	if secret == nil {
		t.Fatal("no secret on the setup page")
	}
	if res := s.as(t, cookie, http.MethodPost, "/admin/2fa/setup", url.Values{"code": {totpCode(t, secret[1], s.now)}}); res.status != http.StatusOK {
		t.Fatalf("enrolment = %d", res.status)
	}
	s.askReset(t, desk.Email())
	token := s.resetTokens(t, desk.Email())[0]
	const newPassword = "copper-meadow-lighthouse"
	if res := s.post(t, "/admin/reset/"+token, url.Values{"password": {newPassword}, "password2": {newPassword}}); res.status != http.StatusSeeOther {
		t.Fatalf("reset = %d", res.status)
	}
	if after, _ := store.StaffByID(s.app, desk.Id); !after.HasTOTP() || after.RecoveryLeft() != 10 {
		t.Errorf("the reset touched the second factor")
	}
	res, c := s.signIn(t, desk.Email(), newPassword)
	if res.header.Get("Location") != "/admin/login/2fa" {
		t.Fatalf("after the new password: %d %s, want the second step", res.status, res.header.Get("Location"))
	}
	if page := s.as(t, c, http.MethodGet, "/admin/", nil); page.header.Get("Location") != "/admin/login/2fa" {
		t.Errorf("the dashboard before the second step: %d %s", page.status, page.header.Get("Location"))
	}
}

// TestReinviteBringsBackADeactivatedMember: the owner invites a deactivated member's address
// again; accepting it reactivates the same account with the new password and role.
func TestReinviteBringsBackADeactivatedMember(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	ownerCookie, owner := s.signedIn(t, "owner")
	desk := s.staffAccount(t, "desk@demo.invalid", "frontdesk")
	// Linked to a person at the venue's identity provider: the link does not outlive the account.
	desk.LinkOIDC("https://idp.example", "person-1", s.now)
	if err := desk.Save(s.app); err != nil {
		t.Fatal(err)
	}
	if res := s.as(t, ownerCookie, http.MethodPost, "/admin/staff/"+desk.Id+"/deactivate", url.Values{}); res.status != http.StatusSeeOther {
		t.Fatalf("deactivate = %d", res.status)
	}
	if res, _ := s.signIn(t, desk.Email(), testPassword); res.status != http.StatusUnauthorized {
		t.Fatalf("a deactivated member signs in: %d", res.status)
	}
	if res := s.as(t, ownerCookie, http.MethodPost, "/admin/staff/invite", url.Values{"email": {owner.Email()}, "role": {"owner"}}); res.status != http.StatusUnprocessableEntity {
		t.Errorf("inviting one's own address = %d, want 422", res.status)
	} else {
		mustContain(t, "own address", res.body, "This is your own address")
	}
	staffPage := s.as(t, ownerCookie, http.MethodGet, "/admin/staff", nil)
	mustContain(t, "staff page", staffPage.body, `data-testid="reinvite-`+desk.Id+`"`, "Invite again")

	res := s.as(t, ownerCookie, http.MethodPost, "/admin/staff/invite", url.Values{"email": {"Desk@demo.invalid"}, "role": {"manager"}})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/admin/staff?done=reinvited" {
		t.Fatalf("re-invite = %d to %q\n%s", res.status, res.header.Get("Location"), snippet(res.body))
	}
	rows := s.outboxRows(t, store.MailInvite)
	if len(rows) != 1 || rows[0].To != "desk@demo.invalid" {
		t.Fatalf("invite mails: %d", len(rows))
	}
	mustContain(t, "re-invite mail", rows[0].Text, "you are invited back to Demo Bistro & Pottery as Manager", "https://booking.test/admin/invite/")
	link := regexp.MustCompile(`https://booking\.test/admin/invite/([A-Za-z0-9_-]{43})`).FindStringSubmatch(rows[0].Text)
	if link == nil {
		t.Fatalf("no link in the mail:\n%s", rows[0].Text)
	}
	if n := s.count(t, "audit_log", dbx.HashExp{"action": "staff.reinvited", "target": "staff/" + desk.Id, "detail": "manager, deactivated"}); n != 1 {
		t.Errorf("re-invite audit entries = %d, want 1", n)
	}

	page := s.get(t, "/admin/invite/"+link[1])
	if page.status != http.StatusOK {
		t.Fatalf("invite page = %d", page.status)
	}
	mustContain(t, "invite page", page.body, "Choose a new password for your account desk@demo.invalid", `value="desk"`)
	const newPassword = "copper-meadow-lighthouse"
	accepted := s.post(t, "/admin/invite/"+link[1], url.Values{"name": {"Dana Desk"}, "password": {newPassword}, "password2": {newPassword}})
	if accepted.status != http.StatusSeeOther || accepted.header.Get("Location") != "/admin/" {
		t.Fatalf("accept = %d to %q\n%s", accepted.status, accepted.header.Get("Location"), snippet(accepted.body))
	}
	if n := s.count(t, "staff", dbx.HashExp{"email": "desk@demo.invalid"}); n != 1 {
		t.Errorf("accounts with the address = %d, want the one brought back", n)
	}
	back, err := store.StaffByEmail(s.app, "desk@demo.invalid")
	if err != nil {
		t.Fatal(err)
	}
	if back.Id != desk.Id || !back.Active() || back.Role() != store.RoleManager || back.Name() != "Dana Desk" {
		t.Errorf("account after the re-invite: id %s (want %s), active %v, role %s, name %q", back.Id, desk.Id, back.Active(), back.Role(), back.Name())
	}
	if back.ValidatePassword(testPassword) || !back.ValidatePassword(newPassword) {
		t.Errorf("the password was not replaced")
	}
	if back.OIDCLinked() {
		t.Errorf("the account came back still linked to %s at the identity provider", back.OIDCSubject())
	}
	if res, c := s.signIn(t, desk.Email(), newPassword); res.status != http.StatusSeeOther || c == "" {
		t.Errorf("sign-in with the new password = %d", res.status)
	} else if p := s.as(t, c, http.MethodGet, "/admin/offerings", nil); p.status != http.StatusOK {
		t.Errorf("the new role's page = %d, want 200", p.status)
	}
	if n := s.count(t, "audit_log", dbx.HashExp{"action": "staff.reinvite_accepted", "target": "staff/" + desk.Id,
		"detail": "frontdesk → manager, reactivated"}); n != 1 {
		t.Errorf("re-invite accepted audit entries = %d, want 1", n)
	}
	if res := s.post(t, "/admin/invite/"+link[1], url.Values{"name": {"Dana"}, "password": {newPassword}, "password2": {newPassword}}); res.status != http.StatusNotFound {
		t.Errorf("the invite used twice = %d, want 404", res.status)
	}
}

// TestReinviteUnlocksALockedOutMember: an active member who cannot get in is invited again;
// accepting ends their other sessions and lifts the sign-in back-off at once.
func TestReinviteUnlocksALockedOutMember(t *testing.T) {
	t.Parallel()
	s := newServerOpts(t, func(o *options) { o.transport = nil }) // no relay: the owner gets the link
	ownerCookie, _ := s.signedIn(t, "owner")
	deskCookie, desk := s.signedIn(t, "frontdesk")
	for i := range backoffFreeAccount {
		s.signIn(t, desk.Email(), "forgotten "+string(rune('a'+i)))
	}
	if res, _ := s.signIn(t, desk.Email(), testPassword); res.status != http.StatusTooManyRequests {
		t.Fatalf("locked out = %d, want 429", res.status)
	}
	res := s.as(t, ownerCookie, http.MethodPost, "/admin/staff/invite", url.Values{"email": {desk.Email()}, "role": {"frontdesk"}})
	link := regexp.MustCompile(`/admin/invite/([A-Za-z0-9_-]{43})`).FindStringSubmatch(res.body)
	if res.status != http.StatusOK || link == nil {
		t.Fatalf("re-invite = %d, link %v", res.status, link)
	}
	const newPassword = "copper-meadow-lighthouse"
	if r := s.post(t, "/admin/invite/"+link[1], url.Values{"name": {"Desk"}, "password": {newPassword}, "password2": {newPassword}}); r.status != http.StatusSeeOther {
		t.Fatalf("accept = %d", r.status)
	}
	if page := s.as(t, deskCookie, http.MethodGet, "/admin/", nil); page.status != http.StatusSeeOther {
		t.Errorf("the session from before = %d, want a sign-in redirect", page.status)
	}
	if r, _ := s.signIn(t, desk.Email(), newPassword); r.status != http.StatusSeeOther {
		t.Errorf("the new password from the locked-out address = %d, want 303", r.status)
	}
	if n := s.count(t, "audit_log", dbx.HashExp{"action": "staff.reinvite_accepted", "target": "staff/" + desk.Id,
		"detail": "frontdesk → frontdesk"}); n != 1 {
		t.Errorf("re-invite accepted audit entries = %d, want 1", n)
	}
}

// TestReinviteKeepsAnOwner: an invite that would demote the last active owner is refused
// when accepted, and changes nothing.
func TestReinviteKeepsAnOwner(t *testing.T) {
	t.Parallel()
	s := newServerOpts(t, func(o *options) { o.transport = nil })
	ownerCookie, owner := s.signedIn(t, "owner")
	other := s.staffAccount(t, "second@demo.invalid", "owner")
	_, otherCookie := s.signIn(t, other.Email(), testPassword)
	res := s.as(t, otherCookie, http.MethodPost, "/admin/staff/invite", url.Values{"email": {owner.Email()}, "role": {"frontdesk"}})
	link := regexp.MustCompile(`/admin/invite/([A-Za-z0-9_-]{43})`).FindStringSubmatch(res.body)
	if res.status != http.StatusOK || link == nil {
		t.Fatalf("invite = %d", res.status)
	}
	if r := s.as(t, ownerCookie, http.MethodPost, "/admin/staff/"+other.Id+"/deactivate", url.Values{}); r.status != http.StatusSeeOther {
		t.Fatalf("deactivate the second owner = %d", r.status)
	}
	r := s.post(t, "/admin/invite/"+link[1], url.Values{"name": {"Olive"}, "password": {"copper-meadow-lighthouse"}, "password2": {"copper-meadow-lighthouse"}})
	if r.status != http.StatusConflict {
		t.Errorf("accepting a demotion of the last owner = %d, want 409", r.status)
	}
	after, _ := store.StaffByID(s.app, owner.Id)
	if after.Role() != store.RoleOwner || !after.ValidatePassword(testPassword) {
		t.Errorf("the refused invite changed the account: role %s", after.Role())
	}
	if _, err := store.InviteByToken(s.app, link[1]); err != nil {
		t.Fatal(err)
	} else if inv, _ := store.InviteByToken(s.app, link[1]); !inv.UsedAt.IsZero() {
		t.Errorf("the refused invite was spent")
	}
}

// TestPasswordChangeEndsOpenResetLinks: a password changed on the account page cannot be
// undone by a reset link asked for before.
func TestPasswordChangeEndsOpenResetLinks(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	cookie, desk := s.signedIn(t, "frontdesk")
	s.askReset(t, desk.Email())
	token := s.resetTokens(t, desk.Email())[0]
	const chosen = "copper-meadow-lighthouse"
	res := s.as(t, cookie, http.MethodPost, "/admin/account/password", url.Values{"current": {testPassword}, "password": {chosen}, "password2": {chosen}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("password change = %d", res.status)
	}
	if page := s.get(t, "/admin/reset/"+token); page.status != http.StatusNotFound {
		t.Errorf("a reset link from before the change = %d, want 404", page.status)
	}
}
