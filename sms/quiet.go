package sms

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// quietHours decides when an unsolicited text may go out.
type quietHours struct {
	enabled    bool
	start, end int // minutes after local midnight
	defaultLoc *time.Location
	prefixes   []string // override prefixes, longest first
	overrides  map[string]*time.Location
}

// parse reads "HH:MM" bounds; both empty means no quiet hours.
func (q QuietHours) parse() (start, end int, err error) {
	if q.Start == "" && q.End == "" {
		return -1, -1, nil
	}
	if start, err = parseClock(q.Start); err != nil {
		return 0, 0, fmt.Errorf("sms.quiet_hours.start: %w", err)
	}
	if end, err = parseClock(q.End); err != nil {
		return 0, 0, fmt.Errorf("sms.quiet_hours.end: %w", err)
	}
	return start, end, nil
}

func parseClock(s string) (int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a time of day: write HH:MM, e.g. 21:00", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

func newQuietHours(q QuietHours) (*quietHours, error) {
	start, end, err := q.parse()
	if err != nil {
		return nil, err
	}
	qh := &quietHours{enabled: start >= 0 && start != end, start: start, end: end,
		defaultLoc: time.UTC, overrides: map[string]*time.Location{}}
	if q.DefaultTimezone != "" {
		if qh.defaultLoc, err = time.LoadLocation(q.DefaultTimezone); err != nil {
			return nil, fmt.Errorf("sms.quiet_hours.default_timezone: %w", err)
		}
	}
	for p, tz := range q.Timezones {
		loc, err := time.LoadLocation(tz)
		if err != nil {
			return nil, fmt.Errorf("sms.quiet_hours.timezones[%s]: %w", p, err)
		}
		qh.overrides[p] = loc
		qh.prefixes = append(qh.prefixes, p)
	}
	sort.Slice(qh.prefixes, func(i, j int) bool { return len(qh.prefixes[i]) > len(qh.prefixes[j]) })
	return qh, nil
}

// location is the recipient's time zone: a configured prefix override, else the zone of the
// number's country or area, else the default.
func (q *quietHours) location(e164 string) *time.Location {
	for _, p := range q.prefixes {
		if strings.HasPrefix(e164, p) {
			return q.overrides[p]
		}
	}
	if tz := numberTimezone(e164); tz != "" {
		if loc, err := time.LoadLocation(tz); err == nil {
			return loc
		}
	}
	return q.defaultLoc
}

// sendAt returns now when now is outside the recipient's quiet hours, else the end of them.
func (q *quietHours) sendAt(now time.Time, e164 string) time.Time {
	if !q.enabled {
		return now
	}
	local := now.In(q.location(e164))
	m := local.Hour()*60 + local.Minute()
	inside := false
	if q.start < q.end {
		inside = m >= q.start && m < q.end
	} else {
		inside = m >= q.start || m < q.end
	}
	if !inside {
		return now
	}
	y, mo, d := local.Date()
	end := time.Date(y, mo, d, q.end/60, q.end%60, 0, 0, local.Location())
	if !end.After(local) {
		end = end.AddDate(0, 0, 1)
	}
	return end
}
