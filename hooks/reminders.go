package hooks

import (
	"fmt"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"reserva/views"
)

// reminderBatch bounds one transaction of the reminder run, so bookings keep flowing.
const reminderBatch = 50

// queueReminders queues a reminder for every confirmed booking whose start is at most
// reminder_hours (real elapsed hours, so a DST change between them does not shift it) ahead
// and that has none yet; a booking made (or moved) after its reminder time had passed gets
// none: markReminder flags it when it is written, as its confirmation is fresh. It also queues feedback requests feedback_hours after the end of
// attended bookings, when the venue turned them on. The booking's reminded_at / feedback_at is
// set in the same transaction as the mail: never twice, also across restarts.
func (h *handlers) queueReminders(app core.App, now time.Time) (reminders, feedback int, err error) {
	v, err := h.venue(app)
	if err != nil {
		if err == errNoVenue {
			return 0, 0, nil
		}
		return 0, 0, err
	}
	if hours := v.rec.GetInt("reminder_hours"); hours > 0 {
		lead := time.Duration(hours) * time.Hour
		reminders, err = h.queueFor(app, v, views.MailReminder, "reminded_at",
			dbx.NewExp(`status = 'confirmed' AND email != '' AND reminded_at = '' AND start > {:now} AND start <= {:until}`,
				dbx.Params{"now": dbTime(now), "until": dbTime(now.Add(lead))}))
		if err != nil {
			return reminders, 0, err
		}
	}
	if hours := v.rec.GetInt("feedback_hours"); hours > 0 {
		after := time.Duration(hours) * time.Hour
		// Bookings that ended within the last week only: turning the feature on never mails
		// about visits long past.
		feedback, err = h.queueFor(app, v, views.MailFeedback, "feedback_at",
			dbx.NewExp(`status IN ('confirmed', 'checked_in', 'completed') AND email != '' AND feedback_at = ''
				AND end <= {:until} AND end > {:since}`,
				dbx.Params{"until": dbTime(now.Add(-after)), "since": dbTime(now.Add(-after - 7*24*time.Hour))}))
	}
	return reminders, feedback, err
}

// queueFor queues mails of kind for the bookings matching where, marking field, in batches.
func (h *handlers) queueFor(app core.App, v *venue, kind, field string, where dbx.Expression) (int, error) {
	n := 0
	for {
		var ids []string
		if err := app.DB().Select("id").From("bookings").Where(where).OrderBy("start").Limit(reminderBatch).Column(&ids); err != nil {
			return n, fmt.Errorf("%s: select: %w", kind, err)
		}
		if len(ids) == 0 {
			return n, nil
		}
		err := app.RunInTransaction(func(tx core.App) error {
			for _, id := range ids {
				rec, err := tx.FindRecordById("bookings", id)
				if err != nil {
					return err
				}
				if !rec.GetDateTime(field).IsZero() {
					continue // queued by a run that overlapped this one
				}
				off, err := bookingOffering(tx, rec)
				if err != nil {
					return err
				}
				if err := h.bookingMail(tx, v, off, rec, kind, ""); err != nil {
					return err
				}
				rec.Set(field, h.now().UTC())
				if err := tx.Save(rec); err != nil {
					return fmt.Errorf("%s: mark booking %s: %w", kind, id, err)
				}
				n++
			}
			return nil
		})
		if err != nil {
			return n, err
		}
	}
}

// markReminder decides, when a booking is made or moved, whether it still gets a reminder:
// if its reminder time has passed already, it is flagged as reminded; otherwise the flag is
// cleared (a moved booking is reminded of its new time).
func markReminder(v *venue, rec *core.Record, now time.Time) {
	hours := v.rec.GetInt("reminder_hours")
	start := rec.GetDateTime("start").Time()
	if hours > 0 && !start.Add(-time.Duration(hours)*time.Hour).After(now) {
		rec.Set("reminded_at", now.UTC())
		return
	}
	rec.Set("reminded_at", "")
}
