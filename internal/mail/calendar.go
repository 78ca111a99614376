// Package mail builds what Reserva sends to people: messages and calendar (.ics) files.
package mail

import (
	"fmt"
	"strings"
	"time"

	ics "github.com/arran4/golang-ical"
)

// Event is one booking as a calendar entry.
type Event struct {
	// UID identifies the booking across versions of the file: calendar apps update the entry
	// with the same UID and a higher Sequence instead of adding a second one.
	UID        string
	Sequence   int
	Start, End time.Time
	Location   *time.Location // the venue's zone: DTSTART and DTEND carry its TZID
	// StartAmbiguous and EndAmbiguous are set when that local time occurs twice (the night the
	// clocks go back): the time is then written in UTC, which every calendar app reads as the
	// one instant meant (with a TZID, RFC 5545 leaves the choice of the two to them).
	StartAmbiguous, EndAmbiguous bool
	Summary                      string
	Description                  string
	Place                        string
	URL                          string
	Organizer                    string // e-mail address of the venue, if any
	Cancelled                    bool
	Stamp                        time.Time // when this version was made (DTSTAMP)
}

// localLayout is an iCalendar local DATE-TIME (used with a TZID parameter).
const localLayout = "20060102T150405"

// Calendar renders ev as an iCalendar file (RFC 5545): METHOD:PUBLISH, or METHOD:CANCEL with
// STATUS:CANCELLED for a cancelled booking. Times are local with the venue's TZID, described by
// a VTIMEZONE that covers the year around the event, so calendar apps show the venue's time
// even where their own zone database differs.
func Calendar(ev Event) ([]byte, error) {
	if ev.Location == nil {
		return nil, fmt.Errorf("calendar: event %q has no time zone", ev.UID)
	}
	if !ev.End.After(ev.Start) {
		return nil, fmt.Errorf("calendar: event %q ends before it starts", ev.UID)
	}
	tzid := ev.Location.String()
	cal := ics.NewCalendarFor("Reserva")
	if ev.Cancelled {
		cal.SetMethod(ics.MethodCancel)
	} else {
		cal.SetMethod(ics.MethodPublish)
	}
	cal.AddVTimezone(timezone(tzid, ev.Location, ev.Start.AddDate(-1, 0, 0), ev.End.AddDate(1, 0, 0)))

	addEvent(cal, ev, false)
	return []byte(cal.Serialize(ics.WithNewLineWindows)), nil // lines end in CRLF (RFC 5545 §3.1)
}

// addEvent adds ev to cal as a VEVENT: its times local with the zone's TZID or, when utc (or a
// local time is ambiguous), in UTC. Escaping and folding are the library's, on serialisation:
// every calendar file Reserva writes goes through it.
func addEvent(cal *ics.Calendar, ev Event, utc bool) {
	e := cal.AddEvent(ev.UID)
	e.SetDtStampTime(ev.Stamp)
	e.SetSequence(ev.Sequence)
	setTime(e, ics.ComponentPropertyDtStart, ev.Start, ev.Location, utc || ev.StartAmbiguous)
	setTime(e, ics.ComponentPropertyDtEnd, ev.End, ev.Location, utc || ev.EndAmbiguous)
	e.SetSummary(oneText(ev.Summary))
	if ev.Description != "" {
		e.SetDescription(oneText(ev.Description))
	}
	if ev.Place != "" {
		e.SetLocation(oneText(ev.Place))
	}
	if ev.URL != "" {
		e.SetURL(ev.URL)
	}
	if ev.Organizer != "" {
		e.SetOrganizer("mailto:" + ev.Organizer)
	}
	if ev.Cancelled {
		e.SetStatus(ics.ObjectStatusCancelled)
	} else {
		e.SetStatus(ics.ObjectStatusConfirmed)
	}
}

// oneText is s without carriage returns and other control characters but the line feed, which
// TEXT values escape as \n: nothing in a value can end or break its content line.
func oneText(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r >= ' ' && r != 0x7f {
			return r
		}
		return -1
	}, s)
}

// Feed renders events as one iCalendar subscription (RFC 5545, METHOD:PUBLISH), named name for
// calendar apps and refreshed by them about every refresh. Times are in UTC: a feed mixes
// events from both sides of a clock change, and UTC names each instant without a VTIMEZONE.
// Lines end in CRLF and are folded at 75 octets, as in Calendar. The events' Location and
// Ambiguous fields are not used; a cancelled event is left out of a feed rather than sent.
func Feed(name string, refresh time.Duration, events []Event) ([]byte, error) {
	cal := ics.NewCalendarFor("Reserva")
	cal.SetMethod(ics.MethodPublish)
	cal.SetXWRCalName(oneText(name))
	ttl := fmt.Sprintf("PT%dM", int(refresh/time.Minute))
	cal.SetXPublishedTTL(ttl)
	cal.SetRefreshInterval(ttl) // the library adds VALUE=DURATION
	for _, ev := range events {
		if !ev.End.After(ev.Start) {
			return nil, fmt.Errorf("calendar feed: event %q ends before it starts", ev.UID)
		}
		if ev.Cancelled {
			continue
		}
		addEvent(cal, ev, true)
	}
	return []byte(cal.Serialize(ics.WithNewLineWindows)), nil
}

// setTime sets the time property p to t: the local time with the zone's TZID or, when that
// local time is ambiguous, the UTC form.
func setTime(e *ics.VEvent, p ics.ComponentProperty, t time.Time, loc *time.Location, ambiguous bool) {
	if ambiguous {
		e.SetProperty(p, t.UTC().Format(utcLayout))
		return
	}
	e.SetProperty(p, t.In(loc).Format(localLayout), ics.WithTZID(loc.String()))
}

// utcLayout is an iCalendar DATE-TIME in UTC.
const utcLayout = "20060102T150405Z"

// timezone describes loc from..to as one observance per zone period (no recurrence rules: the
// periods come from the Go zone database itself, so they are exact for every zone).
func timezone(tzid string, loc *time.Location, from, to time.Time) *ics.VTimezone {
	tz := ics.NewTimezone(tzid)
	t := from.In(loc)
	for range 16 { // a zone changes at most a few times a year; this bounds odd zones
		start, end := t.ZoneBounds()
		name, offset := t.Zone()
		var prevOffset int
		if start.IsZero() {
			// No earlier transition is known: the period reaches back to the epoch.
			start = time.Unix(0, 0).In(loc)
			prevOffset = offset
		} else {
			_, prevOffset = start.Add(-time.Second).Zone()
		}
		var c ics.Component
		props := &ics.ComponentBase{}
		props.SetProperty(ics.ComponentProperty(ics.PropertyDtstart), start.UTC().Add(time.Duration(prevOffset)*time.Second).Format(localLayout))
		props.SetProperty(ics.ComponentProperty(ics.PropertyTzoffsetfrom), utcOffset(prevOffset))
		props.SetProperty(ics.ComponentProperty(ics.PropertyTzoffsetto), utcOffset(offset))
		props.SetProperty(ics.ComponentProperty(ics.PropertyTzname), name)
		if t.IsDST() {
			c = &ics.Daylight{ComponentBase: *props}
		} else {
			c = &ics.Standard{ComponentBase: *props}
		}
		tz.Components = append(tz.Components, c)
		if end.IsZero() || !end.Before(to) {
			break
		}
		t = end.In(loc)
	}
	return tz
}

// utcOffset formats seconds east of UTC as an iCalendar UTC-OFFSET: "+0100", "-0330", "+053328".
func utcOffset(sec int) string {
	sign := '+'
	if sec < 0 {
		sign, sec = '-', -sec
	}
	h, m, s := sec/3600, sec/60%60, sec%60
	if s != 0 {
		return fmt.Sprintf("%c%02d%02d%02d", sign, h, m, s)
	}
	return fmt.Sprintf("%c%02d%02d", sign, h, m)
}
