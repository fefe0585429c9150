package ivr

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/stretchr/testify/require"
)

const bankCalendar = `
timezone: America/New_York
hours:
  mon-fri: 08:00-20:00
  sat: 09:00-13:00
  sun: closed
holidays:
  - 2026-12-25
  - {date: 2026-12-24, name: Christmas Eve, hours: 08:00-12:00}
  - {date: 01-01, name: New Year's Day}
`

func mustCalendar(t *testing.T, src string) *Calendar {
	t.Helper()
	c, err := ParseCalendar("cal.yaml", []byte(src))
	require.NoError(t, err)
	return c
}

func ny(t *testing.T, s string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	tm, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	require.NoError(t, err)
	return tm
}

func TestCalendarOpenHoursAndHolidays(t *testing.T) {
	t.Parallel()
	c := mustCalendar(t, bankCalendar)
	cases := []struct {
		when    string // New York time
		state   CalendarState
		holiday string
	}{
		{"2026-11-24 07:59", CalendarClosed, ""}, // Tuesday
		{"2026-11-24 08:00", CalendarOpen, ""},
		{"2026-11-24 19:59", CalendarOpen, ""},
		{"2026-11-24 20:00", CalendarClosed, ""},
		{"2026-11-28 09:30", CalendarOpen, ""}, // Saturday
		{"2026-11-28 13:00", CalendarClosed, ""},
		{"2026-11-29 10:00", CalendarClosed, ""}, // Sunday
		{"2026-12-24 11:59", CalendarOpen, "Christmas Eve"},
		{"2026-12-24 12:00", CalendarHoliday, "Christmas Eve"},
		{"2026-12-25 10:00", CalendarHoliday, ""},
		{"2027-01-01 10:00", CalendarHoliday, "New Year's Day"}, // every year
		{"2030-01-01 10:00", CalendarHoliday, "New Year's Day"},
	}
	for _, tc := range cases {
		t.Run(tc.when, func(t *testing.T) {
			state, h := c.State(ny(t, tc.when))
			require.Equal(t, tc.state, state)
			require.Equal(t, tc.state == CalendarOpen, c.Open(ny(t, tc.when)))
			if tc.state == CalendarHoliday || tc.holiday != "" {
				require.NotNil(t, h)
				require.Equal(t, tc.holiday, h.Name)
			} else {
				require.Nil(t, h)
			}
		})
	}
}

func TestCalendarUsesItsTimeZone(t *testing.T) {
	t.Parallel()
	c := mustCalendar(t, bankCalendar)
	// 12:30 UTC on a Tuesday in November is 07:30 in New York: closed; 13:30 UTC is 08:30.
	require.False(t, c.Open(time.Date(2026, 11, 24, 12, 30, 0, 0, time.UTC)))
	require.True(t, c.Open(time.Date(2026, 11, 24, 13, 30, 0, 0, time.UTC)))
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	require.NoError(t, err)
	// Wednesday 00:30 in Shanghai is Tuesday 11:30 in New York.
	require.True(t, c.Open(time.Date(2026, 11, 25, 0, 30, 0, 0, shanghai)))
}

func TestCalendarNextOpen(t *testing.T) {
	t.Parallel()
	c := mustCalendar(t, bankCalendar)
	cases := []struct{ from, want string }{
		{"2026-11-24 10:00", "2026-11-24 10:00"}, // open now
		{"2026-11-24 06:00", "2026-11-24 08:00"},
		{"2026-11-24 21:00", "2026-11-25 08:00"},
		{"2026-11-27 20:00", "2026-11-28 09:00"}, // Friday evening -> Saturday
		{"2026-11-28 13:00", "2026-11-30 08:00"}, // Saturday afternoon -> Monday
		{"2026-12-24 12:30", "2026-12-26 09:00"}, // Christmas Eve afternoon, Christmas -> Saturday
		{"2026-12-31 21:00", "2027-01-02 09:00"}, // New Year's Day (yearly) -> Saturday
	}
	for _, tc := range cases {
		t.Run(tc.from, func(t *testing.T) {
			got, ok := c.NextOpen(ny(t, tc.from))
			require.True(t, ok)
			require.Equal(t, ny(t, tc.want).UTC(), got.UTC())
		})
	}
	never := mustCalendar(t, "hours:\n  daily: closed\n")
	_, ok := never.NextOpen(time.Now())
	require.False(t, ok)
}

func TestCalendarAcrossDaylightSavingChanges(t *testing.T) {
	t.Parallel()
	london := mustCalendar(t, "timezone: Europe/London\nhours:\n  daily: 08:00-20:00\n")
	// Clocks go forward on Sunday 29 March 2026 at 01:00 UTC (GMT -> BST).
	require.False(t, london.Open(time.Date(2026, 3, 28, 7, 30, 0, 0, time.UTC)), "07:30 GMT")
	require.True(t, london.Open(time.Date(2026, 3, 29, 7, 30, 0, 0, time.UTC)), "08:30 BST")
	next, ok := london.NextOpen(time.Date(2026, 3, 28, 21, 0, 0, 0, time.UTC))
	require.True(t, ok)
	require.Equal(t, time.Date(2026, 3, 29, 7, 0, 0, 0, time.UTC), next.UTC(), "08:00 BST is 07:00 UTC")
	// Clocks go back on Sunday 25 October 2026 at 01:00 UTC (BST -> GMT).
	next, ok = london.NextOpen(time.Date(2026, 10, 24, 21, 0, 0, 0, time.UTC))
	require.True(t, ok)
	require.Equal(t, time.Date(2026, 10, 25, 8, 0, 0, 0, time.UTC), next.UTC(), "08:00 GMT is 08:00 UTC")

	t.Run("an opening time that the spring-forward gap skips", func(t *testing.T) {
		// 01:30 does not exist in London on 29 March 2026: the clock jumps from 01:00 GMT
		// to 02:00 BST. The calendar opens when the clock jumps.
		c := mustCalendar(t, "timezone: Europe/London\nhours:\n  sun: 01:30-04:00\n")
		next, ok := c.NextOpen(time.Date(2026, 3, 28, 23, 0, 0, 0, time.UTC))
		require.True(t, ok)
		require.Equal(t, time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC), next.UTC())
		require.True(t, c.Open(next))
		require.False(t, c.Open(next.Add(-time.Minute)))
	})
	t.Run("the repeated hour when clocks go back", func(t *testing.T) {
		// 01:15 happens twice in London on 25 October 2026 (00:15 UTC and 01:15 UTC).
		c := mustCalendar(t, "timezone: Europe/London\nhours:\n  sun: 01:00-01:30\n")
		require.True(t, c.Open(time.Date(2026, 10, 25, 0, 15, 0, 0, time.UTC)))
		require.True(t, c.Open(time.Date(2026, 10, 25, 1, 15, 0, 0, time.UTC)))
		next, ok := c.NextOpen(time.Date(2026, 10, 24, 23, 30, 0, 0, time.UTC))
		require.True(t, ok)
		require.Equal(t, time.Date(2026, 10, 25, 0, 0, 0, 0, time.UTC), next.UTC(), "the first 01:00")
	})
	t.Run("New York spring forward", func(t *testing.T) {
		c := mustCalendar(t, bankCalendar)
		// Monday 9 March 2026 08:00 EDT is 12:00 UTC (the Friday before, 08:00 EST, was 13:00 UTC).
		next, ok := c.NextOpen(time.Date(2026, 3, 8, 12, 0, 0, 0, time.UTC))
		require.True(t, ok)
		require.Equal(t, time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC), next.UTC())
	})
}

func TestCalendarOpenUntil(t *testing.T) {
	t.Parallel()
	c := mustCalendar(t, bankCalendar)
	require.Equal(t, ny(t, "2026-11-24 20:00").UTC(), c.OpenUntil(ny(t, "2026-11-24 19:00")).UTC())
	require.Equal(t, ny(t, "2026-12-24 12:00").UTC(), c.OpenUntil(ny(t, "2026-12-24 09:00")).UTC())
	closed := ny(t, "2026-11-24 21:00")
	require.Equal(t, closed, c.OpenUntil(closed))
	late := mustCalendar(t, "hours:\n  fri: 22:00-24:00\n  sat: 00:00-02:00, 10:00-12:00\n")
	// Friday 27 Nov 2026 23:00 UTC: open until Saturday 02:00, across midnight.
	require.Equal(t, time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC), late.OpenUntil(time.Date(2026, 11, 27, 23, 0, 0, 0, time.UTC)))
	require.Equal(t, []Interval{{0, 120}, {600, 720}}, late.Week[time.Saturday])
}

func TestCalendarErrorsNameLineAndColumn(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, src, want string }{
		{"bad time", "hours:\n  mon: 08:00-25:00\n", `cal.yaml:2:8: error: hours for mon: bad time "25:00": write it as HH:MM between 00:00 and 24:00`},
		{"bad minutes", "hours:\n  mon: 08:0-09:00\n", `cal.yaml:2:8: error: hours for mon: bad time "08:0"`},
		{"end before start", "hours:\n  mon: 20:00-08:00\n", `cal.yaml:2:8: error: hours for mon: "20:00-08:00" ends before it starts`},
		{"overlap", "hours:\n  mon: 08:00-12:00, 11:00-13:00\n", `cal.yaml:2:8: error: hours for mon: 11:00-13:00 overlaps 08:00-12:00`},
		{"unknown day", "hours:\n  mnday: 08:00-12:00\n", `cal.yaml:2:3: error: unknown day "mnday" (did you mean "mon"?)`},
		{"a day twice", "hours:\n  mon-fri: 08:00-12:00\n  fri: 09:00-10:00\n", `cal.yaml:3:3: error: fri is given hours twice`},
		{"bad date", "holidays:\n  - 2026-13-01\n", `cal.yaml:2:5: error: bad date "2026-13-01": write it as YYYY-MM-DD`},
		{"bad date in a mapping", "holidays:\n  - {date: 2026-02-30, name: x}\n", `cal.yaml:2:12: error: bad date "2026-02-30"`},
		{"duplicate holiday", "holidays:\n  - 2026-12-25\n  - 2026-12-25\n", `cal.yaml:3:5: error: holiday 2026-12-25 is listed twice`},
		{"unknown time zone", "timezone: Mars/Olympus\n", `cal.yaml:1:11: error: unknown time zone "Mars/Olympus"`},
		{"unknown key", "hour:\n  mon: 08:00-12:00\n", `cal.yaml:1:1: error: unknown key "hour" in calendar (did you mean "hours"?)`},
		{"holiday hours", "holidays:\n  - {date: 2026-12-24, hours: 8-12}\n", `cal.yaml:2:31: error: hours of holiday 2026-12-24: bad time "8"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseCalendar("cal.yaml", []byte(tc.src))
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

// The config package decodes calendars: with goccy/go-yaml; errors keep their place.
func TestCalendarDecodesFromTheConfigFile(t *testing.T) {
	t.Parallel()
	var cfg struct {
		Calendars map[string]*Calendar `yaml:"calendars"`
	}
	src := "calendars:\n  bank:" + strings.ReplaceAll(bankCalendar, "\n", "\n    ") + "\n  short:\n    hours: {daily: 09:00-10:00}\n"
	require.NoError(t, yaml.NewDecoder(bytes.NewReader([]byte(src)), yaml.Strict()).Decode(&cfg))
	require.True(t, cfg.Calendars["bank"].Open(ny(t, "2026-11-24 10:00")))
	require.Equal(t, "America/New_York", cfg.Calendars["bank"].Location.String())
	require.True(t, cfg.Calendars["short"].Open(time.Date(2026, 11, 29, 9, 30, 0, 0, time.UTC)))

	bad := "calendars:\n  bank:\n    hours:\n      mon: 8-20\n"
	err := yaml.NewDecoder(bytes.NewReader([]byte(bad)), yaml.Strict()).Decode(&cfg)
	require.Error(t, err)
	require.Contains(t, yaml.FormatError(err, false, false), `[4:12] hours for mon: bad time "8"`)
}
