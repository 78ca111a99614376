package store

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Staff is a staff account: a PocketBase auth record (its password hashed by PocketBase) with
// a role, and the second factor's state.
type Staff struct {
	core.BaseRecordProxy
}

func staffOf(rec *core.Record) *Staff {
	s := &Staff{}
	s.SetProxyRecord(rec)
	return s
}

// Name is the person's name ("" when not given).
func (s *Staff) Name() string { return s.GetString("name") }

// Label is how pages name the person: their name, else their address.
func (s *Staff) Label() string {
	if n := s.Name(); n != "" {
		return n
	}
	return s.Email()
}

// Role is the person's role.
func (s *Staff) Role() Role { return Role(s.GetString("role")) }

// Active reports whether the account may sign in.
func (s *Staff) Active() bool { return s.GetBool("active") }

// PasswordChanged is when the person last chose a password; zero for an account made with a
// link whose password nobody has set yet.
func (s *Staff) PasswordChanged() time.Time { return s.GetDateTime("password_changed").Time() }

// HasTOTP reports whether an authenticator app is set up.
func (s *Staff) HasTOTP() bool { return s.GetString("totp_secret") != "" }

// RecoveryLeft counts the unused recovery codes.
func (s *Staff) RecoveryLeft() int {
	var hashes []string
	_ = json.Unmarshal([]byte(s.GetString("recovery_codes")), &hashes)
	return len(hashes)
}

// StaffByID returns a staff account; sql.ErrNoRows when there is none.
func StaffByID(app core.App, id string) (*Staff, error) {
	rec, err := app.FindRecordById(colStaff, id)
	if err != nil {
		return nil, errNotFound(err)
	}
	return staffOf(rec), nil
}

// StaffByEmail finds a staff account by address (case-insensitive); sql.ErrNoRows when none.
func StaffByEmail(app core.App, email string) (*Staff, error) {
	rec, err := app.FindFirstRecordByFilter(colStaff, "email = {:e}", dbx.Params{"e": strings.ToLower(strings.TrimSpace(email))})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, sql.ErrNoRows
	}
	if err != nil {
		return nil, fmt.Errorf("staff: find: %w", err)
	}
	return staffOf(rec), nil
}

// AllStaff lists the team by role and name.
func AllStaff(app core.App) ([]*Staff, error) {
	recs, err := app.FindRecordsByFilter(colStaff, "", "role,name", 0, 0)
	if err != nil {
		return nil, err
	}
	out := make([]*Staff, len(recs))
	for i, r := range recs {
		out[i] = staffOf(r)
	}
	return out, nil
}

// CreateStaff makes an active, verified account. password "" makes one nobody can sign in to
// until its owner sets one through a link (SetPassword).
func CreateStaff(app core.App, email, name string, role Role, password string, now time.Time) (*Staff, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if !role.Valid() {
		return nil, fmt.Errorf("staff: role %q: want owner, manager or frontdesk", role)
	}
	if _, err := StaffByEmail(app, email); err == nil {
		return nil, fmt.Errorf("staff: %s already has an account", email)
	}
	col, err := app.FindCachedCollectionByNameOrId(colStaff)
	if err != nil {
		return nil, fmt.Errorf("staff: %w", err)
	}
	rec := core.NewRecord(col)
	rec.SetEmail(email)
	rec.Set("name", name)
	rec.Set("role", string(role))
	rec.Set("active", true)
	rec.SetVerified(true)
	if password == "" {
		// No one knows this password: the account is usable once its owner sets one.
		rec.SetRandomPassword()
	} else {
		rec.SetPassword(password)
		rec.Set("password_changed", now.UTC())
	}
	if err := app.Save(rec); err != nil {
		return nil, fmt.Errorf("staff: save %s: %w", email, err)
	}
	return staffOf(rec), nil
}

// SetName sets the person's name (saved by Save).
func (s *Staff) SetName(name string) { s.Set("name", name) }

// SetRole sets the person's role (saved by Save).
func (s *Staff) SetRole(r Role) { s.Set("role", string(r)) }

// SetActive turns the account on or off (saved by Save).
func (s *Staff) SetActive(on bool) { s.Set("active", on) }

// SetNewPassword sets a new password at now (saved by Save).
func (s *Staff) SetNewPassword(password string, now time.Time) {
	s.SetPassword(password)
	s.Set("password_changed", now.UTC())
}

// ResetTOTP removes the authenticator and the recovery codes (saved by Save).
func (s *Staff) ResetTOTP() {
	s.Set("totp_secret", "")
	s.Set("totp_pending", "")
	s.Set("recovery_codes", []string{})
}

// SetRecoveryHashes replaces the recovery codes by these hashes (saved by Save).
func (s *Staff) SetRecoveryHashes(hashes []string) { s.Set("recovery_codes", hashes) }

// Save writes the account.
func (s *Staff) Save(app core.App) error { return app.Save(s.ProxyRecord()) }

// Reload reads the account again inside tx (a fresh read for a check that must not race).
func (s *Staff) Reload(tx core.App) (*Staff, error) { return StaffByID(tx, s.Id) }

// PendingTOTP is the enrolment secret being set up, sealed ("" when none).
func (s *Staff) PendingTOTP() string { return s.GetString("totp_pending") }

// SetPendingTOTP keeps a new sealed enrolment secret (saved by Save).
func (s *Staff) SetPendingTOTP(sealed string) { s.Set("totp_pending", sealed) }

// ActivateTOTP makes the pending secret the authenticator, with step as the last code used,
// and the recovery codes' hashes (saved by Save).
func (s *Staff) ActivateTOTP(step int64, hashes []string) {
	s.Set("totp_secret", s.GetString("totp_pending"))
	s.Set("totp_pending", "")
	s.Set("totp_last_step", step)
	s.Set("recovery_codes", hashes)
}

// TOTPSecret is the sealed authenticator secret.
func (s *Staff) TOTPSecret() string { return s.GetString("totp_secret") }

// TOTPLastStep is the time step of the last code accepted.
func (s *Staff) TOTPLastStep() int64 { return int64(s.GetInt("totp_last_step")) }

// SetTOTPLastStep records the step of a code just accepted (saved by Save).
func (s *Staff) SetTOTPLastStep(step int64) { s.Set("totp_last_step", step) }

// SpendRecovery removes a recovery code by its hash and reports whether it was there (saved
// by Save).
func (s *Staff) SpendRecovery(hash string) bool {
	var hashes []string
	_ = json.Unmarshal([]byte(s.GetString("recovery_codes")), &hashes)
	for i, h := range hashes {
		if h == hash {
			s.Set("recovery_codes", append(hashes[:i:i], hashes[i+1:]...))
			return true
		}
	}
	return false
}

// CountOtherActiveOwners counts the active owners but id.
func CountOtherActiveOwners(app core.App, id string) (int, error) {
	var n int
	err := app.DB().NewQuery("SELECT count(*) FROM staff WHERE role = {:o} AND active = TRUE AND id != {:id}").
		Bind(dbx.Params{"o": string(RoleOwner), "id": id}).Row(&n)
	return n, err
}

// StaffSession is a signed-in browser of a staff member.
type StaffSession struct {
	ID           string         `db:"id"`
	Staff        string         `db:"staff"`
	SignedIn     types.DateTime `db:"signed_in"`
	LastSeen     types.DateTime `db:"last_seen"`
	IP           string         `db:"ip"`
	UserAgent    string         `db:"user_agent"`
	SecondFactor bool           `db:"second_factor"`
}

// SessionByToken finds the session of a cookie's token; sql.ErrNoRows when none.
func SessionByToken(app core.App, token string) (*StaffSession, error) {
	var s StaffSession
	err := app.DB().NewQuery("SELECT id, staff, signed_in, last_seen, ip, user_agent, second_factor FROM staff_sessions WHERE token_hash = {:h} LIMIT 1").
		Bind(dbx.Params{"h": HashToken(token)}).One(&s)
	if err != nil {
		return nil, errNotFound(err)
	}
	return &s, nil
}

// StartSession stores a new session of staff and returns its token (only the hash is kept).
func StartSession(app core.App, staffID, ip, userAgent string, secondFactor bool, now time.Time) (string, error) {
	token, hash := NewToken()
	t := DBTime(now)
	_, err := app.DB().NewQuery(`INSERT INTO staff_sessions (id, token_hash, staff, signed_in, last_seen, ip, user_agent, second_factor, created, updated)
		VALUES ({:id}, {:h}, {:s}, {:t}, {:t}, {:ip}, {:ua}, {:f}, {:now}, {:now})`).
		Bind(dbx.Params{"id": newID(), "h": hash, "s": staffID, "t": t, "ip": truncate(ip, 100), "ua": truncate(userAgent, 300),
			"f": secondFactor, "now": stamp()}).Execute()
	if err != nil {
		return "", fmt.Errorf("session: %w", err)
	}
	return token, nil
}

// TouchSession moves a session's last use to now.
func TouchSession(app core.App, id string, now time.Time) error {
	_, err := app.DB().Update(colStaffSessions, dbx.Params{"last_seen": DBTime(now), "updated": stamp()}, hashExp("id", id)).Execute()
	return err
}

// PassSecondFactor marks a session's second factor done.
func PassSecondFactor(app core.App, id string) error {
	_, err := app.DB().Update(colStaffSessions, dbx.Params{"second_factor": true, "updated": stamp()}, hashExp("id", id)).Execute()
	return err
}

// EndSession deletes one session.
func EndSession(app core.App, id string) error {
	_, err := app.DB().Delete(colStaffSessions, hashExp("id", id)).Execute()
	return err
}

// EndSessions deletes every session of a staff member but keep ("" for none).
func EndSessions(app core.App, staffID, keep string) error {
	_, err := app.DB().Delete(colStaffSessions, dbx.NewExp("staff = {:s} AND id != {:k}", dbx.Params{"s": staffID, "k": keep})).Execute()
	return err
}

// SessionsOf lists up to 100 sessions of a staff member, the last used first.
func SessionsOf(app core.App, staffID string) ([]StaffSession, error) {
	var out []StaffSession
	err := app.DB().NewQuery("SELECT id, staff, signed_in, last_seen, ip, user_agent, second_factor FROM staff_sessions WHERE staff = {:s} ORDER BY last_seen DESC LIMIT 100").
		Bind(dbx.Params{"s": staffID}).All(&out)
	return out, err
}

// StaffSessionOf returns staffID's session id; sql.ErrNoRows when the member has none such.
func StaffSessionOf(app core.App, staffID, id string) (*StaffSession, error) {
	var s StaffSession
	err := app.DB().NewQuery("SELECT id, staff, signed_in, last_seen, ip, user_agent, second_factor FROM staff_sessions WHERE id = {:id} AND staff = {:s}").
		Bind(dbx.Params{"id": id, "s": staffID}).One(&s)
	if err != nil {
		return nil, errNotFound(err)
	}
	return &s, nil
}

// LiveSessionCount counts a member's sessions used since since.
func LiveSessionCount(app core.App, staffID string, since time.Time) (int, error) {
	var n int
	err := app.DB().NewQuery("SELECT count(*) FROM staff_sessions WHERE staff = {:s} AND last_seen > {:t}").
		Bind(dbx.Params{"s": staffID, "t": DBTime(since)}).Row(&n)
	return n, err
}

// PurgeStaffLeftovers deletes the sessions not used since idleSince or begun before absSince
// (a request would end them, but one never made again would keep its row, with an IP and a
// browser, for ever) and the invites used or expired before weekAgo (they hold an address).
func PurgeStaffLeftovers(app core.App, idleSince, absSince, weekAgo time.Time) (sessions, invites int64, err error) {
	res, err := app.DB().Delete(colStaffSessions, dbx.NewExp("last_seen < {:idle} OR signed_in < {:abs}",
		dbx.Params{"idle": DBTime(idleSince), "abs": DBTime(absSince)})).Execute()
	if err != nil {
		return 0, 0, fmt.Errorf("staff clean-up: sessions: %w", err)
	}
	sessions = rowsAffected(res)
	w := DBTime(weekAgo)
	res, err = app.DB().Delete(colStaffInvites, dbx.NewExp("expires < {:w} OR (used_at != '' AND used_at < {:w})", dbx.Params{"w": w})).Execute()
	if err != nil {
		return sessions, 0, fmt.Errorf("staff clean-up: invites: %w", err)
	}
	return sessions, rowsAffected(res), nil
}

// Invite is a single-use link to join the team (or to set the password of an account made
// with a link).
type Invite struct {
	ID        string         `db:"id"`
	Email     string         `db:"email"`
	Role      Role           `db:"role"`
	InvitedBy string         `db:"invited_by"`
	Expires   types.DateTime `db:"expires"`
	UsedAt    types.DateTime `db:"used_at"`
}

// NewInvite stores an invite for email with role, valid for ttl from now, and returns its
// token. Only the token's hash is kept.
func NewInvite(app core.App, email string, role Role, invitedBy string, now time.Time, ttl time.Duration) (string, error) {
	token, hash := NewToken()
	_, err := app.DB().NewQuery(`INSERT INTO staff_invites (id, email, role, token_hash, invited_by, expires, created, updated)
		VALUES ({:id}, {:e}, {:r}, {:h}, {:by}, {:x}, {:now}, {:now})`).
		Bind(dbx.Params{"id": newID(), "e": strings.ToLower(email), "r": string(role), "h": hash, "by": invitedBy,
			"x": DBTime(now.Add(ttl)), "now": stamp()}).Execute()
	if err != nil {
		return "", fmt.Errorf("invite: %w", err)
	}
	return token, nil
}

// InviteByToken finds an invite by its token; sql.ErrNoRows when none.
func InviteByToken(app core.App, token string) (*Invite, error) {
	return inviteWhere(app, "token_hash = {:v}", HashToken(token))
}

// InviteByID finds an invite; sql.ErrNoRows when none.
func InviteByID(app core.App, id string) (*Invite, error) { return inviteWhere(app, "id = {:v}", id) }

func inviteWhere(app core.App, cond, v string) (*Invite, error) {
	var i Invite
	err := app.DB().NewQuery("SELECT id, email, role, invited_by, expires, used_at FROM staff_invites WHERE " + cond + " LIMIT 1").
		Bind(dbx.Params{"v": v}).One(&i)
	if err != nil {
		return nil, errNotFound(err)
	}
	return &i, nil
}

// UseInvite spends an invite at now.
func UseInvite(app core.App, id string, now time.Time) error {
	_, err := app.DB().Update(colStaffInvites, dbx.Params{"used_at": DBTime(now), "updated": stamp()}, hashExp("id", id)).Execute()
	return err
}

// OpenInvites lists the invites neither used nor expired at now, the soonest to expire first.
func OpenInvites(app core.App, now time.Time) ([]Invite, error) {
	var out []Invite
	err := app.DB().NewQuery("SELECT id, email, role, invited_by, expires, used_at FROM staff_invites WHERE used_at = '' AND expires > {:now} ORDER BY expires").
		Bind(dbx.Params{"now": DBTime(now)}).All(&out)
	return out, err
}

// Staff sessions end after SessionIdle without use, and SessionAbsolute after sign-in whatever
// happens.
const (
	SessionIdle     = 24 * time.Hour
	SessionAbsolute = 14 * 24 * time.Hour
)
