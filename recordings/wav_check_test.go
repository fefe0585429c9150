package recordings

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// writeWAV writes a canonical 44-byte-header WAV with frames sample frames of a 440 Hz-ish
// square wave; format and bits go into the header as given.
func writeWAV(t testing.TB, rate, channels, bits, format, frames int) string {
	t.Helper()
	data := make([]byte, frames*channels*bits/8)
	for i := 0; i+1 < len(data); i += 2 {
		v := int16(8000)
		if (i/2/channels/(rate/880+1))%2 == 1 {
			v = -8000
		}
		binary.LittleEndian.PutUint16(data[i:], uint16(v))
	}
	h := make([]byte, 44)
	copy(h[0:], "RIFF")
	binary.LittleEndian.PutUint32(h[4:], uint32(36+len(data)))
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	binary.LittleEndian.PutUint16(h[20:], uint16(format))
	binary.LittleEndian.PutUint16(h[22:], uint16(channels))
	binary.LittleEndian.PutUint32(h[24:], uint32(rate))
	binary.LittleEndian.PutUint32(h[28:], uint32(rate*channels*bits/8))
	binary.LittleEndian.PutUint16(h[32:], uint16(channels*bits/8))
	binary.LittleEndian.PutUint16(h[34:], uint16(bits))
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], uint32(len(data)))
	path := filepath.Join(t.TempDir(), "rec.wav")
	require.NoError(t, os.WriteFile(path, append(h, data...), 0o644))
	return path
}

func TestCheckWAVAcceptsGoodRecordings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		rate, channels int
		frames         int
		want           time.Duration
	}{
		{"8 kHz mono (G.711 call)", 8000, 1, 8000 * 3, 3 * time.Second},
		{"16 kHz stereo (wideband, caller and agent)", 16000, 2, 16000 * 5 / 2, 2500 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writeWAV(t, tc.rate, tc.channels, 16, 1, tc.frames)
			info, err := CheckWAV(path, tc.want+time.Second)
			require.NoError(t, err)
			require.Equal(t, tc.want, info.Duration)
			require.Equal(t, tc.rate, info.SampleRate)
			require.Equal(t, tc.channels, info.Channels)
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			sum := sha256.Sum256(b)
			require.Equal(t, hex.EncodeToString(sum[:]), info.SHA256)
			require.Equal(t, int64(len(b)), info.Size)
		})
	}
}

func TestCheckWAVReportsBadRecordings(t *testing.T) {
	t.Parallel()
	garbage := filepath.Join(t.TempDir(), "garbage.wav")
	require.NoError(t, os.WriteFile(garbage, []byte("<html>Not Found</html> and some more bytes"), 0o644))
	empty := filepath.Join(t.TempDir(), "empty.wav")
	require.NoError(t, os.WriteFile(empty, nil, 0o644))
	tests := []struct {
		name     string
		path     string
		expected time.Duration
		reason   Reason
		detail   string
	}{
		{"a missing file (Media not enabled)", filepath.Join(t.TempDir(), "none.wav"), 0, ReasonMissing, "Media not enabled"},
		{"a 44-byte header-only file", writeWAV(t, 8000, 1, 16, 1, 0), 0, ReasonEmpty, "header only (44 bytes"},
		{"a zero-byte file", empty, 0, ReasonEmpty, "0 bytes"},
		{"a file that is not WAV", garbage, 0, ReasonInvalid, "not a RIFF/WAVE file"},
		{"8-bit samples", writeWAV(t, 8000, 1, 8, 1, 8000), 0, ReasonFormat, "16-bit PCM"},
		{"mu-law samples", writeWAV(t, 8000, 1, 16, 7, 8000), 0, ReasonFormat, "format 7"},
		{"an odd sample rate", writeWAV(t, 11025, 1, 16, 1, 11025), 0, ReasonFormat, "11025 Hz"},
		{"a recording much shorter than the call", writeWAV(t, 8000, 1, 16, 1, 8000*2), 60 * time.Second, ReasonDuration, "audio lasts 2s but the call lasted 1m0s"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := CheckWAV(tc.path, tc.expected)
			var ce *CheckError
			require.True(t, errors.As(err, &ce), "want *CheckError, got %v", err)
			require.Equal(t, tc.reason, ce.Reason)
			require.Contains(t, ce.Error(), tc.detail)
			require.Equal(t, tc.path, ce.Path)
		})
	}
}

func FuzzCheckWAV(f *testing.F) {
	f.Add([]byte("RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x40\x1f\x00\x00\x80\x3e\x00\x00\x02\x00\x10\x00data\x00\x00\x00\x00"))
	f.Add([]byte("RIFF\xff\xff\xff\xffWAVEfmt \xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(t.TempDir(), "f.wav")
		require.NoError(t, os.WriteFile(path, b, 0o644))
		info, err := CheckWAV(path, 0)
		var ce *CheckError
		if err != nil {
			require.True(t, errors.As(err, &ce), "only check errors for a readable file: %v", err)
			return
		}
		require.Positive(t, info.DataBytes)
		require.LessOrEqual(t, info.DataOffset+info.DataBytes, info.Size)
	})
}
