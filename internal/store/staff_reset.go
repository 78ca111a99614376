package store

import (
	"fmt"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// PasswordReset is a single-use link, mailed to a staff member who forgot their password, to
// choose a new one.
type PasswordReset struct {
	ID        string         `db:"id"`
	Staff     string         `db:"staff"`
	Requested types.DateTime `db:"requested"`
	Expires   types.DateTime `db:"expires"`
	UsedAt    types.DateTime `db:"used_at"`
}

// Open reports whether the link may still be used at now: not used, not expired.
func (r *PasswordReset) Open(now time.Time) bool {
	return r.UsedAt.IsZero() && now.Before(r.Expires.Time())
}

// NewPasswordReset stores a reset link for staffID, valid for ttl from now, and returns its
// token; only the token's hash is kept. Every earlier link of the member stops working (its
// expiry moves to now), and the member's links that expired a day ago are deleted. Call it in
// the transaction that queues the mail.
func NewPasswordReset(app core.App, staffID string, now time.Time, ttl time.Duration) (string, error) {
	if err := EndPasswordResets(app, staffID, now); err != nil {
		return "", err
	}
	_, err := app.DB().Delete(colStaffResets, dbx.NewExp("staff = {:s} AND expires < {:old}",
		dbx.Params{"s": staffID, "old": DBTime(now.Add(-24 * time.Hour))})).Execute()
	if err != nil {
		return "", fmt.Errorf("password reset: clean up: %w", err)
	}
	token, hash := NewToken()
	_, err = app.DB().NewQuery(`INSERT INTO staff_password_resets (id, staff, token_hash, requested, expires, created, updated)
		VALUES ({:id}, {:s}, {:h}, {:r}, {:x}, {:now}, {:now})`).
		Bind(dbx.Params{"id": newID(), "s": staffID, "h": hash, "r": DBTime(now), "x": DBTime(now.Add(ttl)), "now": stamp()}).Execute()
	if err != nil {
		return "", fmt.Errorf("password reset: %w", err)
	}
	return token, nil
}

// EndPasswordResets makes every open reset link of staffID stop working at now (a new link, or
// a password set some other way).
func EndPasswordResets(app core.App, staffID string, now time.Time) error {
	_, err := app.DB().Update(colStaffResets, dbx.Params{"expires": DBTime(now), "updated": stamp()},
		dbx.NewExp("staff = {:s} AND used_at = '' AND expires > {:now}", dbx.Params{"s": staffID, "now": DBTime(now)})).Execute()
	if err != nil {
		return fmt.Errorf("password reset: end open links: %w", err)
	}
	return nil
}

// PasswordResetsSince counts the reset links requested for staffID since since.
func PasswordResetsSince(app core.App, staffID string, since time.Time) (int, error) {
	var n int
	err := app.DB().NewQuery("SELECT count(*) FROM staff_password_resets WHERE staff = {:s} AND requested > {:t}").
		Bind(dbx.Params{"s": staffID, "t": DBTime(since)}).Row(&n)
	if err != nil {
		return 0, fmt.Errorf("password reset: count: %w", err)
	}
	return n, nil
}

// PasswordResetByToken finds a reset link by its token; sql.ErrNoRows when none.
func PasswordResetByToken(app core.App, token string) (*PasswordReset, error) {
	return passwordResetWhere(app, "token_hash = {:v}", HashToken(token))
}

// PasswordResetByID finds a reset link; sql.ErrNoRows when none.
func PasswordResetByID(app core.App, id string) (*PasswordReset, error) {
	return passwordResetWhere(app, "id = {:v}", id)
}

func passwordResetWhere(app core.App, cond, v string) (*PasswordReset, error) {
	var r PasswordReset
	err := app.DB().NewQuery("SELECT id, staff, requested, expires, used_at FROM staff_password_resets WHERE " + cond + " LIMIT 1").
		Bind(dbx.Params{"v": v}).One(&r)
	if err != nil {
		return nil, errNotFound(err)
	}
	return &r, nil
}

// UsePasswordReset spends a reset link at now.
func UsePasswordReset(app core.App, id string, now time.Time) error {
	_, err := app.DB().Update(colStaffResets, dbx.Params{"used_at": DBTime(now), "updated": stamp()}, hashExp("id", id)).Execute()
	if err != nil {
		return fmt.Errorf("password reset: use: %w", err)
	}
	return nil
}
