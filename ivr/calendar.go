package ivr

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// Calendar is a named set of business hours (time zone, weekly schedule, holidays), declared
// in ivrd.yaml under calendars: and referred to by name from flows (hours: bank) and
// callbacks (call back only when open):
//
//	calendars:
//	  bank:
//	    timezone: Europe/London
//	    hours:
//	      mon-fri: 08:00-20:00
//	      sat: 09:00-13:00
//	      sun: closed
//	    holidays:
//	      - 2026-12-25                                       # closed all day
//	      - {date: 2026-12-24, name: Christmas Eve, hours: 08:00-12:00}
//	      - {date: 01-01, name: New Year's Day}              # every year
//
// Days are mon..sun, ranges (mon-fri) or lists (sat,sun); hours are HH:MM-HH:MM ranges,
// several separated by commas (08:00-12:00, 13:00-17:00), "24:00" ends a day, "closed"
// means no hours. Times are wall-clock times in the calendar's time zone, so daylight
// saving time changes are followed.
//
// A Calendar is immutable after parsing and safe for concurrent use.
type Calendar struct {
	// Location is the calendar's time zone (timezone:, default UTC).
	Location *time.Location
	// Week holds the open intervals of each day, indexed by time.Weekday.
	Week [7][]Interval
	// Holidays by date; a yearly holiday (MM-DD) has Year 0.
	Holidays []Holiday

	byDate map[dateKey]*Holiday
}

// Interval is an open period of a day, in minutes after local midnight: [From, To).
type Interval struct {
	From, To int
}

func (iv Interval) String() string {
	return fmt.Sprintf("%02d:%02d-%02d:%02d", iv.From/60, iv.From%60, iv.To/60, iv.To%60)
}

// Holiday is a date the weekly hours do not apply: closed all day (Hours empty), or open
// only during Hours (a partial day such as Christmas Eve morning).
type Holiday struct {
	Year  int // 0: every year
	Month time.Month
	Day   int
	Name  string
	Hours []Interval
}

// Date returns the holiday as 2026-12-25, or 12-25 for a yearly one.
func (h Holiday) Date() string {
	if h.Year == 0 {
		return fmt.Sprintf("%02d-%02d", h.Month, h.Day)
	}
	return fmt.Sprintf("%04d-%02d-%02d", h.Year, h.Month, h.Day)
}

type dateKey struct {
	y int
	m time.Month
	d int
}

// CalendarState is what a calendar says about a moment.
type CalendarState uint8

// Calendar states.
const (
	CalendarClosed  CalendarState = iota // outside the weekly hours
	CalendarOpen                         // within the weekly hours or a partial holiday's hours
	CalendarHoliday                      // on a holiday, outside its hours (if any)
)

func (s CalendarState) String() string {
	switch s {
	case CalendarOpen:
		return "open"
	case CalendarHoliday:
		return "holiday"
	}
	return "closed"
}

// State says whether the calendar is open at t, and whether t falls on a holiday. The
// holiday is returned whenever t's date is one (also during a partial day's hours).
func (c *Calendar) State(t time.Time) (CalendarState, *Holiday) {
	lt := t.In(c.loc())
	ivs, h := c.intervalsOn(lt.Year(), lt.Month(), lt.Day())
	m := lt.Hour()*60 + lt.Minute()
	for _, iv := range ivs {
		if m >= iv.From && m < iv.To {
			return CalendarOpen, h
		}
	}
	if h != nil {
		return CalendarHoliday, h
	}
	return CalendarClosed, nil
}

// Open reports whether the calendar is open at t.
func (c *Calendar) Open(t time.Time) bool {
	s, _ := c.State(t)
	return s == CalendarOpen
}

// NextOpen returns the earliest moment at or after t when the calendar is open (t itself
// when it is open now). ok is false when the calendar never opens in the next 400 days.
func (c *Calendar) NextOpen(t time.Time) (time.Time, bool) {
	if c.Open(t) {
		return t, true
	}
	loc := c.loc()
	lt := t.In(loc)
	for day := 0; day <= 400; day++ {
		d := time.Date(lt.Year(), lt.Month(), lt.Day()+day, 12, 0, 0, 0, loc)
		ivs, _ := c.intervalsOn(d.Year(), d.Month(), d.Day())
		for _, iv := range ivs {
			start := wallTime(d, iv.From, loc)
			// A wall time that happens twice (the hour repeated when clocks go back): take
			// the first one.
			if earlier := start.Add(-time.Hour); !earlier.Before(t) && sameWall(earlier.In(loc), start.In(loc)) {
				start = earlier
			}
			if start.Before(t) {
				continue
			}
			// A start inside a daylight-saving gap (02:30 on the spring-forward night) does
			// not exist: Go moves it past the gap; the calendar really opens at the gap's end.
			for i := 0; i < 180 && c.Open(start.Add(-time.Minute)) && start.Add(-time.Minute).After(t); i++ {
				start = start.Add(-time.Minute)
			}
			if c.Open(start) {
				return start, true
			}
		}
	}
	return time.Time{}, false
}

// OpenUntil returns when the open period containing t ends (t itself when closed at t).
func (c *Calendar) OpenUntil(t time.Time) time.Time {
	if !c.Open(t) {
		return t
	}
	loc := c.loc()
	lt := t.In(loc)
	cur := t
	for day := 0; day <= 400; day++ {
		d := time.Date(lt.Year(), lt.Month(), lt.Day()+day, 12, 0, 0, 0, loc)
		ivs, _ := c.intervalsOn(d.Year(), d.Month(), d.Day())
		for _, iv := range ivs {
			end := wallTime(d, iv.To, loc)
			if !end.After(cur) {
				continue
			}
			if !c.Open(end) {
				return end
			}
			cur = end
		}
	}
	return cur
}

func sameWall(a, b time.Time) bool {
	return a.Year() == b.Year() && a.YearDay() == b.YearDay() && a.Hour() == b.Hour() && a.Minute() == b.Minute()
}

// wallTime is minute m (0..1440) of the day of d in loc.
func wallTime(d time.Time, m int, loc *time.Location) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day(), m/60, m%60, 0, 0, loc)
}

func (c *Calendar) loc() *time.Location {
	if c.Location == nil {
		return time.UTC
	}
	return c.Location
}

// intervalsOn returns the open intervals of a local date and the holiday it is, if any.
func (c *Calendar) intervalsOn(y int, m time.Month, d int) ([]Interval, *Holiday) {
	if h := c.byDate[dateKey{y, m, d}]; h != nil {
		return h.Hours, h
	}
	if h := c.byDate[dateKey{0, m, d}]; h != nil {
		return h.Hours, h
	}
	wd := time.Date(y, m, d, 12, 0, 0, 0, time.UTC).Weekday()
	return c.Week[wd], nil
}

// UnmarshalYAML reads a calendar from its ivrd.yaml node (goccy/go-yaml NodeUnmarshaler),
// so errors carry line and column.
func (c *Calendar) UnmarshalYAML(n ast.Node) error {
	r := &nodeReader{}
	r.file = "calendar"
	parsed := parseCalendarNode(r, n)
	for _, d := range r.list {
		if d.Severity == SevError {
			return &yaml.SyntaxError{Message: d.Msg, Token: tokenAt(n, d.Pos)}
		}
	}
	*c = *parsed
	return nil
}

// tokenAt finds the token of n at pos (for errors handed back to the YAML decoder).
func tokenAt(n ast.Node, pos Pos) *token.Token {
	tk := n.GetToken()
	ast.Walk(tokenFinder{pos: pos, found: &tk}, n)
	return tk
}

type tokenFinder struct {
	pos   Pos
	found **token.Token
}

func (f tokenFinder) Visit(n ast.Node) ast.Visitor {
	tk := n.GetToken()
	if tk != nil && tk.Position != nil && tk.Position.Line == f.pos.Line && tk.Position.Column == f.pos.Col {
		*f.found = tk
		return nil
	}
	return f
}

// ParseCalendar parses one calendar written in YAML (the value under its name in
// calendars:). name labels errors, which carry line and column.
func ParseCalendar(name string, data []byte) (*Calendar, error) {
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(f.Docs) == 0 || f.Docs[0].Body == nil {
		return nil, fmt.Errorf("%s: the calendar is empty: give it timezone:, hours: and holidays:", name)
	}
	r := &nodeReader{}
	r.file = name
	c := parseCalendarNode(r, f.Docs[0].Body)
	if r.list.HasErrors() {
		return nil, r.list.Err()
	}
	return c, nil
}

var calendarFields = []field{
	{key: "timezone", typ: tText, def: "UTC", doc: "IANA time zone, e.g. Europe/London"},
	{key: "hours", typ: tText, doc: "weekly hours: day(s): HH:MM-HH:MM"},
	{key: "holidays", typ: tText, doc: "dates closed (or with other hours)"},
}

var holidayFields = []field{
	{key: "date", typ: tText, req: true, doc: "YYYY-MM-DD, or MM-DD for every year"},
	{key: "name", typ: tText, doc: "what the day is"},
	{key: "hours", typ: tText, doc: "open hours that day (default: closed all day)"},
}

var dayNames = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

func parseCalendarNode(r *nodeReader, n ast.Node) *Calendar {
	c := &Calendar{Location: time.UTC, byDate: map[dateKey]*Holiday{}}
	r.collectAnchors(n)
	o, ok := r.object(n, "calendar", calendarFields)
	if !ok {
		return c
	}
	if tz, e := o.text("timezone"); e != nil {
		loc, err := time.LoadLocation(tz)
		if err != nil || tz == "" || tz == "Local" {
			r.errorf(e.vpos(r), "unknown time zone %q: use an IANA name such as Europe/London or America/New_York", tz)
		} else {
			c.Location = loc
		}
	}
	if e := o.get("hours"); e != nil {
		pairs, ok := r.pairs(e.val, "day")
		if !ok {
			r.errorf(e.vpos(r), "hours must be a mapping of days: hours, e.g. mon-fri: 08:00-20:00")
		}
		var set [7]bool
		for _, de := range pairs {
			days, err := parseDays(de.key)
			if err != nil {
				r.errorf(de.kpos, "%v", err)
				continue
			}
			s, ok := r.scalar(de.val)
			if !ok {
				r.errorf(de.vpos(r), "hours for %s must be like 08:00-20:00 or closed", de.key)
				continue
			}
			ivs, err := parseIntervals(s)
			if err != nil {
				r.errorf(de.vpos(r), "hours for %s: %v", de.key, err)
				continue
			}
			for _, d := range days {
				if set[d] {
					r.errorf(de.kpos, "%s is given hours twice; each day may appear once", dayNames[d])
					continue
				}
				set[d] = true
				c.Week[d] = ivs
			}
		}
	}
	if e := o.get("holidays"); e != nil {
		c.parseHolidays(r, e)
	}
	return c
}

func (c *Calendar) parseHolidays(r *nodeReader, e *entry) {
	seq, ok := e.val.(*ast.SequenceNode)
	if !ok {
		if isNull(e.val) {
			return
		}
		r.errorf(e.vpos(r), "holidays must be a list of dates, one per line starting with -")
		return
	}
	for _, it := range seq.Values {
		h := Holiday{}
		pos := r.pos(it)
		var dateText string
		if s, ok := r.scalar(it); ok {
			dateText = s
		} else {
			ho, ok := r.object(it, "holiday", holidayFields)
			if !ok {
				continue
			}
			dateText, _ = ho.text("date")
			if de := ho.lookup("date"); de != nil {
				pos = de.vpos(r)
			}
			h.Name, _ = ho.text("name")
			if hs, he := ho.text("hours"); he != nil {
				ivs, err := parseIntervals(hs)
				if err != nil {
					r.errorf(he.vpos(r), "hours of holiday %s: %v", dateText, err)
				}
				h.Hours = ivs
			}
		}
		if dateText == "" {
			continue
		}
		y, m, d, err := parseDate(dateText)
		if err != nil {
			r.errorf(pos, "%v", err)
			continue
		}
		h.Year, h.Month, h.Day = y, m, d
		k := dateKey{y, m, d}
		if c.byDate[k] != nil {
			r.errorf(pos, "holiday %s is listed twice", h.Date())
			continue
		}
		c.Holidays = append(c.Holidays, h)
		c.byDate[k] = &c.Holidays[len(c.Holidays)-1]
	}
	// Holidays was appended to: rebuild the index with stable pointers.
	sort.SliceStable(c.Holidays, func(i, j int) bool { return c.Holidays[i].Date() < c.Holidays[j].Date() })
	c.byDate = map[dateKey]*Holiday{}
	for i := range c.Holidays {
		h := &c.Holidays[i]
		c.byDate[dateKey{h.Year, h.Month, h.Day}] = h
	}
}

// parseDays reads mon, mon-fri, sat,sun, daily.
func parseDays(s string) ([]time.Weekday, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "daily" || s == "every day" {
		return []time.Weekday{0, 1, 2, 3, 4, 5, 6}, nil
	}
	var out []time.Weekday
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		from, to, isRange := strings.Cut(part, "-")
		a, ok := dayIndex(from)
		if !ok {
			return nil, fmt.Errorf("unknown day %q%s: use mon, tue, wed, thu, fri, sat, sun, a range such as mon-fri, or daily", from, dayHint(from))
		}
		if !isRange {
			out = append(out, a)
			continue
		}
		b, ok := dayIndex(to)
		if !ok {
			return nil, fmt.Errorf("unknown day %q%s: use mon, tue, wed, thu, fri, sat, sun", to, dayHint(to))
		}
		for d := a; ; d = (d + 1) % 7 {
			out = append(out, d)
			if d == b {
				break
			}
		}
	}
	return out, nil
}

// dayHint suggests a day for a typo, comparing with short and long names.
func dayHint(s string) string {
	cands := append([]string{}, dayNames...)
	for i := range dayNames {
		cands = append(cands, strings.ToLower(time.Weekday(i).String()))
	}
	c := closest(s, cands)
	if c == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", c[:3])
}

func dayIndex(s string) (time.Weekday, bool) {
	s = strings.TrimSpace(s)
	for i, d := range dayNames {
		if s == d || len(s) > 3 && strings.HasPrefix(time.Weekday(i).String(), strings.ToUpper(s[:1])+s[1:]) {
			return time.Weekday(i), true
		}
	}
	return 0, false
}

// parseIntervals reads "08:00-12:00, 13:00-17:00" or "closed".
func parseIntervals(s string) ([]Interval, error) {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "closed") || s == "" {
		return nil, nil
	}
	var out []Interval
	for _, part := range strings.Split(s, ",") {
		from, to, ok := strings.Cut(strings.TrimSpace(part), "-")
		if !ok {
			return nil, fmt.Errorf("%q is not a time range: write it like 08:00-20:00", part)
		}
		a, err := parseClock(from)
		if err != nil {
			return nil, err
		}
		b, err := parseClock(to)
		if err != nil {
			return nil, err
		}
		if b <= a {
			return nil, fmt.Errorf("%q ends before it starts: hours past midnight go on the next day's line (e.g. 22:00-24:00 and 00:00-02:00)", strings.TrimSpace(part))
		}
		iv := Interval{a, b}
		for _, o := range out {
			if iv.From < o.To && o.From < iv.To {
				return nil, fmt.Errorf("%s overlaps %s", iv, o)
			}
		}
		out = append(out, iv)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].From < out[j].From })
	return out, nil
}

// parseClock reads HH:MM (00:00 to 24:00) into minutes.
func parseClock(s string) (int, error) {
	s = strings.TrimSpace(s)
	h, m, ok := strings.Cut(s, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || len(m) != 2 || hh < 0 || mm < 0 || mm > 59 || hh > 24 || hh == 24 && mm != 0 {
		return 0, fmt.Errorf("bad time %q: write it as HH:MM between 00:00 and 24:00", s)
	}
	return hh*60 + mm, nil
}

// parseDate reads YYYY-MM-DD, or MM-DD for a holiday every year (year 0).
func parseDate(s string) (int, time.Month, int, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t.Year(), t.Month(), t.Day(), nil
	}
	if t, err := time.Parse("01-02", s); err == nil {
		return 0, t.Month(), t.Day(), nil
	}
	if s == "02-29" {
		return 0, time.February, 29, nil
	}
	return 0, 0, 0, errors.New("bad date " + strconv.Quote(s) + ": write it as YYYY-MM-DD (2026-12-25), or MM-DD (12-25) for every year")
}
