package recordings

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"
)

// Reason classifies why a recording failed its check.
type Reason string

// The reasons a recording can fail its check.
const (
	// ReasonMissing: no file at all (FreeSWITCH logs "Media not enabled" and writes nothing
	// when a call never had media).
	ReasonMissing Reason = "missing"
	// ReasonEmpty: a header with no audio after it (FreeSWITCH's 44-byte files).
	ReasonEmpty Reason = "empty"
	// ReasonInvalid: not a RIFF/WAVE file, or its chunks are broken.
	ReasonInvalid Reason = "invalid"
	// ReasonFormat: a valid WAV file that is not 16-bit PCM at a supported rate.
	ReasonFormat Reason = "format"
	// ReasonDuration: the audio is much shorter or longer than the call.
	ReasonDuration Reason = "duration"
)

// CheckError is a recording that failed its check. It is final (checking again will not
// help) and is recorded as a QA failure with its Reason.
type CheckError struct {
	Path   string
	Reason Reason
	Detail string
}

func (e *CheckError) Error() string {
	return fmt.Sprintf("recording %s: %s: %s", e.Path, e.Reason, e.Detail)
}

// Info is what CheckWAV learnt about a good recording.
type Info struct {
	Path       string
	Size       int64
	SHA256     string // hex
	SampleRate int
	Channels   int
	Duration   time.Duration
	// DataOffset and DataBytes locate the PCM samples in the file.
	DataOffset int64
	DataBytes  int64
}

// DefaultTolerance is how far a recording's duration may differ from its call's by default:
// FreeSWITCH starts recording after answer and stops at hangup, so a few hundred ms differ
// routinely.
const DefaultTolerance = 2 * time.Second

// CheckWAV checks the recording at path: it exists, is a valid RIFF/WAVE file with 16-bit PCM
// audio at 8, 16, 32 or 48 kHz, mono or stereo, and its duration is within DefaultTolerance
// of expected (expected <= 0 skips the duration check). A failed check is a *CheckError with
// its Reason; other errors (permissions, I/O) are returned wrapped.
func CheckWAV(path string, expected time.Duration) (Info, error) {
	return CheckWAVWithin(path, expected, DefaultTolerance)
}

// CheckWAVWithin is CheckWAV with its own tolerance (<= 0 means DefaultTolerance).
func CheckWAVWithin(path string, expected, tolerance time.Duration) (Info, error) {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Info{}, &CheckError{Path: path, Reason: ReasonMissing,
			Detail: "no file: FreeSWITCH wrote nothing (\"Media not enabled\": the call had no media); check the channel's media before record_session"}
	}
	if err != nil {
		return Info{}, fmt.Errorf("check recording: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Info{}, fmt.Errorf("check recording: %w", err)
	}
	info := Info{Path: path, Size: st.Size()}
	if err := parseWAVHeader(f, &info); err != nil {
		return Info{}, err
	}
	if info.DataBytes == 0 {
		return Info{}, &CheckError{Path: path, Reason: ReasonEmpty,
			Detail: fmt.Sprintf("header only (%d bytes, no audio): FreeSWITCH closed the file before any media arrived", info.Size)}
	}
	if expected > 0 {
		diff := info.Duration - expected
		if diff < -tolerance || diff > tolerance {
			return Info{}, &CheckError{Path: path, Reason: ReasonDuration,
				Detail: fmt.Sprintf("audio lasts %s but the call lasted %s (tolerance %s): the recording is cut or belongs to another call",
					info.Duration.Round(time.Millisecond), expected.Round(time.Millisecond), tolerance)}
		}
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return Info{}, fmt.Errorf("check recording: %w", err)
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return Info{}, fmt.Errorf("check recording: hash %s: %w", path, err)
	}
	info.SHA256 = hex.EncodeToString(h.Sum(nil))
	return info, nil
}

// parseWAVHeader reads the RIFF chunks of f up to the data chunk, filling info's format and
// data fields.
func parseWAVHeader(f io.ReadSeeker, info *Info) error {
	bad := func(reason Reason, format string, args ...any) error {
		return &CheckError{Path: info.Path, Reason: reason, Detail: fmt.Sprintf(format, args...)}
	}
	var hdr [12]byte
	if _, err := io.ReadFull(f, hdr[:]); err != nil {
		if info.Size == 0 {
			return bad(ReasonEmpty, "file is empty (0 bytes): FreeSWITCH created it but wrote nothing")
		}
		return bad(ReasonInvalid, "only %d bytes, shorter than a RIFF header", info.Size)
	}
	if string(hdr[0:4]) != "RIFF" || string(hdr[8:12]) != "WAVE" {
		return bad(ReasonInvalid, "not a RIFF/WAVE file (starts with %q)", hdr[0:4])
	}
	pos := int64(12)
	haveFmt := false
	for {
		var ch [8]byte
		if _, err := io.ReadFull(f, ch[:]); err != nil {
			if !haveFmt {
				return bad(ReasonInvalid, "no fmt chunk before the end of the file")
			}
			// A fmt chunk and no data chunk: a header-only file.
			return nil
		}
		pos += 8
		id := string(ch[0:4])
		size := int64(binary.LittleEndian.Uint32(ch[4:8]))
		switch id {
		case "fmt ":
			if size < 16 {
				return bad(ReasonInvalid, "fmt chunk of %d bytes, want at least 16", size)
			}
			b := make([]byte, size)
			if _, err := io.ReadFull(f, b); err != nil {
				return bad(ReasonInvalid, "fmt chunk cut short")
			}
			format := binary.LittleEndian.Uint16(b[0:2])
			info.Channels = int(binary.LittleEndian.Uint16(b[2:4]))
			info.SampleRate = int(binary.LittleEndian.Uint32(b[4:8]))
			bits := binary.LittleEndian.Uint16(b[14:16])
			if format == 0xFFFE && size >= 26 { // WAVE_FORMAT_EXTENSIBLE: the sub-format says.
				format = binary.LittleEndian.Uint16(b[24:26])
			}
			if format != 1 || bits != 16 {
				return bad(ReasonFormat, "format %d with %d-bit samples; want 16-bit PCM (format 1): set FreeSWITCH's record format to wav", format, bits)
			}
			switch info.SampleRate {
			case 8000, 16000, 32000, 48000:
			default:
				return bad(ReasonFormat, "sample rate %d Hz; want 8000, 16000, 32000 or 48000", info.SampleRate)
			}
			if info.Channels != 1 && info.Channels != 2 {
				return bad(ReasonFormat, "%d channels; want 1 (mono) or 2 (stereo)", info.Channels)
			}
			haveFmt = true
			pos += size
		case "data":
			if !haveFmt {
				return bad(ReasonInvalid, "data chunk before the fmt chunk")
			}
			info.DataOffset = pos
			remaining := info.Size - pos
			// A writer that never finalised its header leaves 0 or 0xFFFFFFFF: trust the file.
			if size == 0 || size == 0xFFFFFFFF || size > remaining {
				size = remaining
			}
			frame := int64(2 * info.Channels)
			size -= size % frame
			info.DataBytes = size
			info.Duration = time.Duration(size / frame * int64(time.Second) / int64(info.SampleRate))
			return nil
		default:
			if _, err := f.Seek(size+size%2, io.SeekCurrent); err != nil {
				return bad(ReasonInvalid, "chunk %q cut short", id)
			}
			pos += size + size%2
		}
		if size%2 == 1 && id == "fmt " {
			if _, err := f.Seek(1, io.SeekCurrent); err != nil {
				return bad(ReasonInvalid, "fmt chunk padding cut short")
			}
			pos++
		}
	}
}
