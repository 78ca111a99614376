package jobs

import (
	"context"
	"fmt"
	"time"

	"reserva/internal/store"
)

// reminderBatch bounds one write of the reminder run, so bookings keep flowing.
const reminderBatch = 50

// QueueReminders queues a reminder for every confirmed booking whose start is at most
// reminder_hours (real elapsed hours, so a DST change between them does not shift it) ahead
// and that has none yet; a booking made (or moved) after its reminder time had passed gets
// none (Venue.ReminderMark flags it when it is written, as its confirmation is fresh), nor does
// one made after its reminder time under raised reminder hours (store.DueForReminder). It also
// queues feedback requests feedback_hours after the end of attended bookings, when the venue
// turned them on, for visits of the last week only. The booking's reminded_at / feedback_at is
// set in the same transaction as the mail: never twice, also across restarts.
func (j *Jobs) QueueReminders(now time.Time) (reminders, feedback int, err error) {
	v, err := j.st.Venue(j.app)
	if err == store.ErrNoVenue {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, err
	}
	if v.ReminderHours > 0 {
		lead := time.Duration(v.ReminderHours) * time.Hour
		reminders, err = j.queueFor(v, store.MailReminder, now, func() ([]string, error) {
			return store.DueForReminder(j.app, now, lead, reminderBatch)
		})
		if err != nil {
			return reminders, 0, err
		}
	}
	if v.FeedbackHours > 0 {
		after := time.Duration(v.FeedbackHours) * time.Hour
		feedback, err = j.queueFor(v, store.MailFeedback, now, func() ([]string, error) {
			return store.DueForFeedback(j.app, now.Add(-after-7*24*time.Hour), now.Add(-after), reminderBatch)
		})
	}
	return reminders, feedback, err
}

// queueFor queues mails of kind for the bookings next selects, a batch per write, until none
// is left.
func (j *Jobs) queueFor(v *store.Venue, kind store.MailKind, now time.Time, next func() ([]string, error)) (int, error) {
	n := 0
	for {
		ids, err := next()
		if err != nil {
			return n, fmt.Errorf("%s: select: %w", kind, err)
		}
		if len(ids) == 0 {
			return n, nil
		}
		queued := 0
		err = j.st.Writer().Do(context.Background(), func(tx *store.Tx) error {
			queued = 0
			for _, id := range ids {
				b, err := store.BookingByID(tx.App, id)
				if err != nil {
					return err
				}
				if (kind == store.MailReminder && !b.RemindedAt.IsZero()) || (kind == store.MailFeedback && !b.FeedbackAt.IsZero()) {
					continue // queued by a run that overlapped this one
				}
				if err := QueueBookingMail(tx.App, v, kind, b, "", now); err != nil {
					return err
				}
				mark := store.MarkReminded
				if kind == store.MailFeedback {
					mark = store.MarkFeedbackAsked
				}
				if err := mark(tx.App, b, now); err != nil {
					return fmt.Errorf("%s: mark booking %s: %w", kind, id, err)
				}
				queued++
			}
			return nil
		})
		n += queued
		if err != nil {
			return n, err
		}
		if queued == 0 {
			return n, nil // every selected booking was queued by another run: done
		}
	}
}
