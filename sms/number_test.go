package sms

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestNormalizeNumber(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw, region, want string
	}{
		{"+1 (415) 555-2671", "", "+14155552671"},
		{"415 555 2671", "US", "+14155552671"},
		{"004915123456789", "", "+4915123456789"},
		{"13800138000", "CN", "+8613800138000"},
		{"+86 138 0013 8000", "US", "+8613800138000"},
	}
	for _, tc := range tests {
		got, err := NormalizeNumber(tc.raw, tc.region)
		require.NoError(t, err, tc.raw)
		require.Equal(t, tc.want, got)
	}
	for _, bad := range []string{"", "BANK", "12", "415 555 2671" /* no region */, "+1 555"} {
		_, err := NormalizeNumber(bad, "")
		require.ErrorIs(t, err, ErrBadNumber, bad)
	}
}

func TestQuietHours(t *testing.T) {
	t.Parallel()
	q, err := newQuietHours(QuietHours{Start: "21:00", End: "08:00", Timezones: map[string]string{"+1808": "Pacific/Honolulu"}})
	require.NoError(t, err)
	ny, _ := time.LoadLocation("America/New_York")
	sh, _ := time.LoadLocation("Asia/Shanghai")
	hi, _ := time.LoadLocation("Pacific/Honolulu")

	require.Equal(t, ny, q.location("+12125550100"), "derived from the number's area")
	require.Equal(t, sh, q.location("+8613800138000"))
	require.Equal(t, hi, q.location("+18085550100"), "config override wins")

	tests := []struct {
		name   string
		now    time.Time
		number string
		want   time.Time
	}{
		{"afternoon in New York: now", time.Date(2026, 3, 2, 15, 0, 0, 0, ny), "+12125550100", time.Date(2026, 3, 2, 15, 0, 0, 0, ny)},
		{"late evening in New York: next 08:00", time.Date(2026, 3, 2, 22, 30, 0, 0, ny), "+12125550100", time.Date(2026, 3, 3, 8, 0, 0, 0, ny)},
		{"early morning in New York: 08:00 today", time.Date(2026, 3, 2, 6, 0, 0, 0, ny), "+12125550100", time.Date(2026, 3, 2, 8, 0, 0, 0, ny)},
		{"at 21:00 sharp: quiet", time.Date(2026, 3, 2, 21, 0, 0, 0, ny), "+12125550100", time.Date(2026, 3, 3, 8, 0, 0, 0, ny)},
		{"at 08:00 sharp: send", time.Date(2026, 3, 2, 8, 0, 0, 0, ny), "+12125550100", time.Date(2026, 3, 2, 8, 0, 0, 0, ny)},
		{"noon in New York is midnight in Shanghai", time.Date(2026, 3, 2, 12, 0, 0, 0, ny), "+8613800138000", time.Date(2026, 3, 3, 8, 0, 0, 0, sh)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.True(t, tc.want.Equal(q.sendAt(tc.now, tc.number)), "got %v want %v", q.sendAt(tc.now, tc.number), tc.want)
		})
	}

	day, err := newQuietHours(QuietHours{Start: "12:00", End: "13:00", Timezones: map[string]string{"+86": "UTC"}})
	require.NoError(t, err)
	at := time.Date(2026, 3, 2, 12, 30, 0, 0, time.UTC)
	require.True(t, time.Date(2026, 3, 2, 13, 0, 0, 0, time.UTC).Equal(day.sendAt(at, "+8613800138000").UTC()), "a window not spanning midnight")

	_, err = newQuietHours(QuietHours{Start: "9pm", End: "08:00"})
	require.ErrorContains(t, err, "HH:MM")
}
