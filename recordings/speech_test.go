package recordings

import (
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// speech makes a WAV of text spoken by flite's kal16 voice at rate Hz (16-bit mono),
// resampled repeatably (sox -R) and padded with 0.8 s of silence: pocketsphinx does not report
// a phrase at the very end of the audio.
func speech(t testing.TB, text string, rate int) string {
	t.Helper()
	dir := t.TempDir()
	raw := filepath.Join(dir, "raw.wav")
	out := filepath.Join(dir, "speech-"+strconv.Itoa(rate)+".wav")
	run(t, "flite", "-voice", "kal16", "-t", text, "-o", raw)
	run(t, "sox", "-R", raw, "-b", "16", "-c", "1", out, "rate", strconv.Itoa(rate), "pad", "0", "0.8")
	return out
}

// stereo joins two mono WAVs of the same rate into one stereo WAV (left = first).
func stereo(t testing.TB, left, right string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "stereo.wav")
	run(t, "sox", "-R", "-M", left, right, out)
	return out
}

// silence makes a mono WAV of d seconds of silence.
func silence(t testing.TB, seconds float64, rate int) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "silence.wav")
	run(t, "sox", "-R", "-n", "-r", strconv.Itoa(rate), "-b", "16", "-c", "1", out, "trim", "0", strconv.FormatFloat(seconds, 'f', 2, 64))
	return out
}

// concat joins mono WAVs of the same rate one after the other.
func concat(t testing.TB, files ...string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "concat.wav")
	run(t, "sox", append(append([]string{"-R"}, files...), out)...)
	return out
}

func run(t testing.TB, name string, args ...string) {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	require.NoError(t, err, "%s %s: %s", name, strings.Join(args, " "), out)
}
