package recname_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/recordings/recname"
)

var at = time.Date(2026, 11, 24, 9, 5, 7, 0, time.UTC)

func TestPathRendersTheCallVariables(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		tmpl string
		v    recname.Vars
		want string
	}{
		{"", recname.Vars{CallID: "abc-1", N: 2, Time: at}, "2026-11-24/abc-1-2.wav"},
		{"{{date}}/{{caller.number}}-{{call.id}}-{{n}}.wav", recname.Vars{CallID: "u1", Caller: "+4420", N: 1, Time: at}, "2026-11-24/+4420-u1-1.wav"},
		{"{{year}}/{{month}}/{{queue}}/{{agent}}-{{time}}-{{call.id}}-{{n}}.wav", recname.Vars{CallID: "u1", Queue: "cards", Agent: "user/1001", N: 3, Time: at}, "2026/11/cards/user_1001-090507-u1-3.wav"},
		{"{{flow}}-{{call.called}}-{{call.id}}-{{n}}.wav", recname.Vars{CallID: "u1", Flow: "main", N: 1}, "main--u1-1.wav"},
	}
	for _, tc := range tests {
		t.Run(tc.tmpl, func(t *testing.T) {
			p, err := recname.MustParse(tc.tmpl).Path(dir, tc.v)
			require.NoError(t, err)
			require.Equal(t, filepath.Join(dir, tc.want), p)
		})
	}
}

func TestHostileCallerDataStaysInsideTheFolder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tmpl := recname.MustParse("{{caller.number}}/{{caller.name}}-{{call.id}}-{{n}}.wav")
	for _, hostile := range []string{"../../etc/passwd", "..", "/etc/cron.d/x", "a\x00b", `..\..\win`, "...."} {
		p, err := tmpl.Path(dir, recname.Vars{CallID: hostile, Caller: hostile, CallerName: hostile, N: 1})
		require.NoError(t, err, hostile)
		rel, err := filepath.Rel(dir, p)
		require.NoError(t, err)
		require.False(t, strings.HasPrefix(rel, ".."), "%q escaped to %s", hostile, p)
		require.Len(t, strings.Split(rel, string(filepath.Separator)), 2, "%q added a folder: %s", hostile, rel)
	}
}

func TestParseRejectsBadTemplates(t *testing.T) {
	t.Parallel()
	tests := []struct{ tmpl, want string }{
		{"{{call.id}-{{n}}.wav", "at character 10: unexpected"},
		{"{{vars.x}}-{{call.id}}-{{n}}.wav", `unknown name "vars.x"`},
		{"{{caller.number}}.wav", "include {{call.id}} and {{n}}"},
		{"/var/{{call.id}}-{{n}}.wav", "relative"},
		{"../{{call.id}}-{{n}}.wav", `".." is not allowed`},
		{"{{call.id}}-{{n}}.mp3", `".wav"`},
	}
	for _, tc := range tests {
		t.Run(tc.tmpl, func(t *testing.T) {
			_, err := recname.Parse(tc.tmpl)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func BenchmarkPath(b *testing.B) {
	tmpl := recname.MustParse("{{date}}/{{caller.number}}-{{call.id}}-{{n}}.wav")
	v := recname.Vars{CallID: "7f9c2ad4-1b2c-4c1e-9d7e-0a1b2c3d4e5f", Caller: "+442071234567", N: 1, Time: at}
	for b.Loop() {
		if _, err := tmpl.Path("/var/lib/ivrd/recordings", v); err != nil {
			b.Fatal(err)
		}
	}
}
