package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPhoneShowsWhatTheCallerHears(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ arg, want string }{
		{"say:Hello there.", `"Hello there."`},
		{"file_string://say:Welcome.!silence_stream://500!tone_stream://%(500,0,440)", `"Welcome." (silence 500 ms) (tone %(500,0,440))`},
		{"local_stream://moh", "(hold music moh)"},
		{"/usr/share/sounds/en/welcome.wav", "[/usr/share/sounds/en/welcome.wav]"},
		{`'say:It\'s open.'`, `"It's open."`},
	} {
		require.Equal(t, tc.want, describeAudio(tc.arg), tc.arg)
	}
}

func TestPhoneSplitsApplicationArgumentsLikeFreeSWITCH(t *testing.T) {
	t.Parallel()
	args := splitArgs(`1 1 1 5000 # 'say:For English, press 1. It\'s quick.' silence_stream://10 ivrd_digits [0-9*#A-D]+ 5000`)
	require.Len(t, args, 10)
	require.Equal(t, "say:For English, press 1. It's quick.", args[5])
	require.Equal(t, "[0-9*#A-D]+", args[8])
	require.Equal(t, []string{"a", "b"}, splitArgs("  a   b "))
}
