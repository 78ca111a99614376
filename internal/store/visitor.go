package store

import (
	"fmt"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// VisitorLink is a sign-in link mailed to a visitor (single use).
type VisitorLink struct {
	ID      string         `db:"id"`
	Email   string         `db:"email"`
	Expires types.DateTime `db:"expires"`
	UsedAt  types.DateTime `db:"used_at"`
}

// LinksSince counts the sign-in links made for email that expire after since.
func LinksSince(tx core.App, email string, since time.Time) (int, error) {
	var n int
	err := tx.DB().NewQuery("SELECT count(*) FROM visitor_links WHERE email = {:e} AND expires > {:t}").
		Bind(dbx.Params{"e": email, "t": DBTime(since)}).Row(&n)
	return n, err
}

// NewVisitorLink stores a sign-in link for email, valid until expires, and returns its token.
func NewVisitorLink(tx core.App, email string, expires time.Time) (string, error) {
	token, hash := NewToken()
	_, err := tx.DB().NewQuery(`INSERT INTO visitor_links (id, email, token_hash, expires, created)
		VALUES ({:id}, {:e}, {:h}, {:x}, {:now})`).
		Bind(dbx.Params{"id": newID(), "e": email, "h": hash, "x": DBTime(expires), "now": stamp()}).Execute()
	if err != nil {
		return "", fmt.Errorf("sign-in link: %w", err)
	}
	return token, nil
}

// VisitorLinkByToken finds a sign-in link; sql.ErrNoRows when none.
func VisitorLinkByToken(app core.App, token string) (*VisitorLink, error) {
	var l VisitorLink
	err := app.DB().NewQuery("SELECT id, email, expires, used_at FROM visitor_links WHERE token_hash = {:h} LIMIT 1").
		Bind(dbx.Params{"h": HashToken(token)}).One(&l)
	if err != nil {
		return nil, errNotFound(err)
	}
	return &l, nil
}

// UseVisitorLink spends a sign-in link at now.
func UseVisitorLink(tx core.App, id string, now time.Time) error {
	_, err := tx.DB().Update(colVisitorLinks, dbx.Params{"used_at": DBTime(now)}, hashExp("id", id)).Execute()
	return err
}

// VisitorSession is a visitor signed in to their account.
type VisitorSession struct {
	ID      string         `db:"id"`
	Email   string         `db:"email"`
	Expires types.DateTime `db:"expires"`
}

// StartVisitorSession stores a session for email until expires; it returns its id and token.
func StartVisitorSession(tx core.App, email string, expires time.Time) (id, token string, err error) {
	token, hash := NewToken()
	id = newID()
	_, err = tx.DB().NewQuery(`INSERT INTO visitor_sessions (id, email, token_hash, expires, created)
		VALUES ({:id}, {:e}, {:h}, {:x}, {:now})`).
		Bind(dbx.Params{"id": id, "e": email, "h": hash, "x": DBTime(expires), "now": stamp()}).Execute()
	if err != nil {
		return "", "", fmt.Errorf("visitor session: %w", err)
	}
	return id, token, nil
}

// VisitorSessionByToken finds a visitor's session; sql.ErrNoRows when none.
func VisitorSessionByToken(app core.App, token string) (*VisitorSession, error) {
	var s VisitorSession
	err := app.DB().NewQuery("SELECT id, email, expires FROM visitor_sessions WHERE token_hash = {:h} LIMIT 1").
		Bind(dbx.Params{"h": HashToken(token)}).One(&s)
	if err != nil {
		return nil, errNotFound(err)
	}
	return &s, nil
}

// EndVisitorSession deletes a visitor's session.
func EndVisitorSession(app core.App, id string) error {
	_, err := app.DB().Delete(colVisitorSessions, hashExp("id", id)).Execute()
	return err
}
