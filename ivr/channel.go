package ivr

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Channel is one live call as the runtime drives it. The runtime's call goroutine is the only
// caller of a Channel's methods (one command at a time); Done and HangupCause may be read from
// any goroutine.
//
// Two implementations ship: ESLChannel over a FreeSWITCH outbound-socket session (production,
// demo, end-to-end tests) and FakeChannel, an in-memory caller with a virtual clock that
// `ivrd flows test` uses.
//
// Every blocking method returns an error wrapping ErrHangup once the caller has hung up, so the
// runtime unwinds from wherever it is.
type Channel interface {
	// ID is the channel's unique id (FreeSWITCH's Unique-ID).
	ID() string
	// Caller is the calling number (ANI), Called the dialed number (DNIS).
	Caller() string
	Called() string

	// Answer answers the call (no-op when already answered).
	Answer(ctx context.Context) error
	// Play plays audio in order. When terminators is not empty, a key among them stops the
	// prompt (barge-in) and is returned as digit; otherwise digit is "".
	Play(ctx context.Context, audio []Media, terminators string) (digit string, err error)
	// PlayAndGetDigits plays a prompt and collects digits in one round trip (FreeSWITCH's
	// play_and_get_digits): any key stops the prompt.
	PlayAndGetDigits(ctx context.Context, req DigitsRequest) (DigitsResult, error)
	// RecordStart starts recording the call (both directions) into path.
	RecordStart(ctx context.Context, path string) error
	// RecordStop stops the recording into path and reports what was written.
	RecordStop(ctx context.Context, path string) (Recording, error)
	// Bridge connects the caller to an endpoint and returns when the bridge ends or fails.
	Bridge(ctx context.Context, req BridgeRequest) (BridgeResult, error)
	// Transfer hands the call to a dialplan extension; the runtime's control ends.
	Transfer(ctx context.Context, extension string) error
	// SetVar sets a channel variable (visible to FreeSWITCH's dialplan and CDRs).
	SetVar(ctx context.Context, name, value string) error
	// SendDTMF sends digits to the far end (e.g. an extension after a bridge answered).
	SendDTMF(ctx context.Context, digits string) error
	// Hangup ends the call with a Q.850 cause name such as NORMAL_CLEARING.
	Hangup(ctx context.Context, cause string) error

	// Done is closed when the call is gone (hung up by either side, or the connection lost).
	Done() <-chan struct{}
	// HangupCause is the cause once Done is closed ("" before).
	HangupCause() string
}

// ErrHangup is wrapped by Channel errors once the call has ended.
var ErrHangup = errors.New("call hung up")

// MediaKind says how a Media is produced.
type MediaKind int

// The kinds of audio a prompt is made of.
const (
	MediaFile    MediaKind = iota // a sound file path FreeSWITCH can play
	MediaStream                   // a stream URL: tone_stream://, local_stream://, http://...
	MediaSilence                  // silence_stream://MS
	MediaSpeech                   // text-to-speech text
)

// Media is one piece of audio a Channel plays: a flow's Audio resolved for the caller's
// language, with its template rendered.
type Media struct {
	Kind MediaKind
	// Src is the file path, the tone_stream:// or silence_stream:// URL, or the text to speak.
	Src string
	// Voice is the TTS engine and voice as "engine|voice" (speech only; "" for the default).
	Voice string
	// Prompt is the key of the flow's named prompt this came from ("" for inline audio); it
	// is what transcripts and flow tests show.
	Prompt string
}

// Text is what a caller "hears", as a transcript line: the file, tone or the spoken text.
func (a Media) Text() string {
	if a.Kind == MediaSpeech {
		return "say: " + a.Src
	}
	return a.Src
}

// Label is how transcripts and flow tests name the audio: the prompt key when it came from a
// named prompt, else Text.
func (a Media) Label() string {
	if a.Prompt != "" {
		return a.Prompt
	}
	return a.Text()
}

// DefaultVoice is the TTS engine|voice used when a flow does not name one.
const DefaultVoice = "flite|kal"

// SilenceMedia returns the silence_stream:// audio of d.
func SilenceMedia(d time.Duration) Media {
	return Media{Kind: MediaSilence, Src: fmt.Sprintf("silence_stream://%d", d.Milliseconds())}
}

// DigitsRequest is one play_and_get_digits: a prompt and the rules for the digits collected.
// The runtime checks the digits against the flow's options or regex itself, so requests
// carry no regex.
type DigitsRequest struct {
	// Prompt plays first; any key stops it. Empty: collect without a prompt.
	Prompt []Media
	// Min and Max digits (Max >= 1). Collection ends at Max digits, a terminator or a timeout.
	Min, Max int
	// Timeout waits for the first digit after the prompt; DigitTimeout between digits.
	Timeout, DigitTimeout time.Duration
	// Terminators end collection early (e.g. "#"); "" for none. Not part of the digits.
	Terminators string
}

// DigitsResult is what one play_and_get_digits collected.
type DigitsResult struct {
	// Digits pressed, without the terminator ("" when the caller pressed nothing).
	Digits string
	// Terminator is the key that ended collection, "" if none.
	Terminator string
}

// TimedOut reports whether the caller pressed nothing at all.
func (r DigitsResult) TimedOut() bool { return r.Digits == "" && r.Terminator == "" }

// Recording is a finished call recording.
type Recording struct {
	Path     string
	Duration time.Duration
	Bytes    int64
}

// BridgeRequest connects the caller to one endpoint.
type BridgeRequest struct {
	// Endpoint is a FreeSWITCH dial string: user/1001, sofia/gateway/carrier/5551234,
	// loopback/5211/default/XML.
	Endpoint string
	// Timeout is how long it may ring (FreeSWITCH's call_timeout); 0 for FreeSWITCH's default.
	Timeout time.Duration
	// ContinueOnFail keeps the caller up after any failure (busy, rejected...), so the runtime
	// can try the next agent.
	ContinueOnFail bool
	// CallerIDNumber overrides the caller id shown to the endpoint ("" keeps the caller's).
	CallerIDNumber string
}

// BridgeResult is how a bridge ended.
type BridgeResult struct {
	// Answered is true when the endpoint answered and the two were connected.
	Answered bool
	// Cause is the failure cause (NO_ANSWER, USER_BUSY...) or, after an answered bridge, the
	// cause that ended it.
	Cause string
	// Talk is how long the bridge lasted after answer.
	Talk time.Duration
}

// HangupError is a Channel error after the call ended, carrying the hangup cause.
type HangupError struct {
	Cause string
}

func (e *HangupError) Error() string {
	if e.Cause == "" {
		return ErrHangup.Error()
	}
	return ErrHangup.Error() + ": " + e.Cause
}

// Unwrap makes errors.Is(err, ErrHangup) true.
func (e *HangupError) Unwrap() error { return ErrHangup }

// allDigits are the DTMF keys of a phone keypad.
const allDigits = "0123456789*#"

// validDigits reports whether s holds only keypad keys.
func validDigits(s string) bool {
	for _, r := range s {
		if !strings.ContainsRune(allDigits, r) && r != 'A' && r != 'B' && r != 'C' && r != 'D' {
			return false
		}
	}
	return true
}
