package ivr

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/ivrd/ivrd/esl"
)

// ESLChannel is a Channel over a FreeSWITCH outbound-socket session (*esl.Call). It keeps
// FreeSWITCH's work per caller action to one command where one can do it:
//   - a prompt of several pieces is one playback of file_string://a!b!c, text-to-speech
//     included (say: pieces, with tts_engine/tts_voice set once per call);
//   - a menu or input try is one play_and_get_digits (prompt, barge-in, first-digit and
//     inter-digit timeouts all in FreeSWITCH; a TTS prompt goes in single quotes);
//   - playback terminators and bridge variables are only set when they change (package esl
//     sends them in the same write as the command).
//
// A missing sound file does not end the call: it is logged and the call goes on.
type ESLChannel struct {
	call  *esl.Call
	log   *slog.Logger
	voice string // tts engine|voice set on the channel ("" none yet)
}

var _ Channel = (*ESLChannel)(nil)

// NewESLChannel wraps call; log may be nil.
func NewESLChannel(call *esl.Call, log *slog.Logger) *ESLChannel {
	if log == nil {
		log = slog.Default()
	}
	return &ESLChannel{call: call, log: log}
}

// Call returns the underlying esl call.
func (e *ESLChannel) Call() *esl.Call { return e.call }

// ID implements Channel.
func (e *ESLChannel) ID() string { return e.call.UUID() }

// Caller implements Channel.
func (e *ESLChannel) Caller() string { return e.call.CallerNumber() }

// Called implements Channel.
func (e *ESLChannel) Called() string { return e.call.CalledNumber() }

// Done implements Channel.
func (e *ESLChannel) Done() <-chan struct{} { return e.call.Done() }

// HangupCause implements Channel.
func (e *ESLChannel) HangupCause() string { return string(e.call.HangupCause()) }

// wrap turns esl's hangup errors into ones matching ErrHangup (keeping the esl error too).
func (e *ESLChannel) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, esl.ErrHangup) || sessionGone(err) {
		return fmt.Errorf("%s: %w (%w)", op, &HangupError{Cause: e.HangupCause()}, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// sessionGone reports whether FreeSWITCH refused a command because the channel is already
// gone ("-ERR no channel" to a sendmsg, "-ERR No such channel!" to an api): the caller hung
// up before ivrd heard of it.
func sessionGone(err error) bool {
	var ce *esl.CommandError
	if !errors.As(err, &ce) {
		return false
	}
	r := strings.ToLower(ce.Reply)
	return strings.Contains(r, "no channel") || strings.Contains(r, "no such channel")
}

// Answer implements Channel.
func (e *ESLChannel) Answer(ctx context.Context) error {
	return e.wrap("answer", e.call.Answer(ctx))
}

// prepare sets the TTS voice when the media speaks with a voice not yet set, and returns
// the playback argument for media.
func (e *ESLChannel) prepare(ctx context.Context, media []Media) (string, error) {
	parts := make([]string, 0, len(media))
	for _, m := range media {
		if m.Kind == MediaSpeech {
			v := orDefault(m.Voice, DefaultVoice)
			if v != e.voice {
				engine, voice, _ := strings.Cut(v, "|")
				if _, err := e.call.Execute(ctx, "multiset", "tts_engine="+engine+" tts_voice="+voice); err != nil {
					return "", e.wrap("set voice", err)
				}
				e.voice = v
			}
			parts = append(parts, "say:"+speakable(m.Src))
			continue
		}
		parts = append(parts, m.Src)
	}
	switch len(parts) {
	case 0:
		return "", nil
	case 1:
		return parts[0], nil
	}
	return "file_string://" + strings.Join(parts, "!"), nil
}

// Play implements Channel.
func (e *ESLChannel) Play(ctx context.Context, media []Media, terminators string) (string, error) {
	file, err := e.prepare(ctx, media)
	if err != nil || file == "" {
		return "", err
	}
	res, err := e.call.Playback(ctx, file, esl.PlaybackOpts{Terminators: terminators})
	if err != nil {
		var appErr *esl.AppError
		if errors.As(err, &appErr) && e.call.HangupCause() == "" {
			e.log.Warn("prompt did not play; the call goes on", "call", e.ID(), "file", file, "response", appErr.Response)
			return res.Terminator, nil
		}
		return "", e.wrap("play "+file, err)
	}
	return res.Terminator, nil
}

// noPrompt is what play_and_get_digits plays when there is nothing to play.
const noPrompt = "silence_stream://10"

// digitsRegexp accepts every key: the runtime checks entries itself.
const digitsRegexp = `[0-9*#A-D]+`

// digitsVar receives play_and_get_digits' digits.
const digitsVar = "ivrd_digits"

// PlayAndGetDigits implements Channel with one play_and_get_digits (one try). FreeSWITCH
// splits its arguments on spaces except inside single quotes, so a prompt with TTS text is
// sent quoted.
func (e *ESLChannel) PlayAndGetDigits(ctx context.Context, req DigitsRequest) (DigitsResult, error) {
	file, err := e.prepare(ctx, req.Prompt)
	if err != nil {
		return DigitsResult{}, err
	}
	if file == "" {
		file = noPrompt
	}
	term := req.Terminators
	if term == "" {
		term = "none"
	}
	timeout := orDefault(req.Timeout, 5*time.Second)
	gap := orDefault(req.DigitTimeout, timeout)
	arg := fmt.Sprintf("%d %d 1 %d %s %s silence_stream://10 %s %s %d",
		maxInt(req.Min, 1), maxInt(req.Max, 1), timeout.Milliseconds(), term, quoteArg(file), digitsVar, digitsRegexp, gap.Milliseconds())
	ev, err := e.call.Execute(ctx, "play_and_get_digits", arg)
	if err != nil {
		return DigitsResult{}, e.wrap("play_and_get_digits", err)
	}
	// Variables are sticky: trust the digits and terminator only after a success.
	if ev.Var("read_result") != "success" {
		return DigitsResult{}, nil
	}
	return DigitsResult{Digits: ev.Var(digitsVar), Terminator: ev.Var("read_terminator_used")}, nil
}

// quoteArg makes s one argument of a space-separated application argument list:
// single-quoted when it has spaces, with quotes and backslashes escaped.
func quoteArg(s string) string {
	if !strings.ContainsAny(s, " '\\") {
		return s
	}
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`)
	return "'" + r.Replace(s) + "'"
}

// RecordStart implements Channel.
func (e *ESLChannel) RecordStart(ctx context.Context, path string) error {
	return e.wrap("record "+path, e.call.RecordSession(ctx, path))
}

// RecordStop implements Channel.
func (e *ESLChannel) RecordStop(ctx context.Context, path string) (Recording, error) {
	r, err := e.call.StopRecordSession(ctx, path)
	if err != nil {
		return Recording{}, e.wrap("stop recording "+path, err)
	}
	return Recording{Path: path, Duration: time.Duration(r.Ms) * time.Millisecond, Bytes: r.Size}, nil
}

// Bridge implements Channel. Talk is measured from when the bridge was asked for, so it
// includes the ringing.
func (e *ESLChannel) Bridge(ctx context.Context, req BridgeRequest) (BridgeResult, error) {
	opts := esl.BridgeOpts{Timeout: req.Timeout, ContinueOnFail: req.ContinueOnFail}
	if req.CallerIDNumber != "" {
		opts.Vars = map[string]string{"origination_caller_id_number": req.CallerIDNumber}
	}
	start := time.Now()
	r, err := e.call.Bridge(ctx, req.Endpoint, opts)
	res := BridgeResult{Answered: r.Answered, Cause: string(r.Cause)}
	if r.Answered {
		res.Talk = time.Since(start)
	}
	return res, e.wrap("bridge "+req.Endpoint, err)
}

// Transfer implements Channel.
func (e *ESLChannel) Transfer(ctx context.Context, extension string) error {
	return e.wrap("transfer "+extension, e.call.Transfer(ctx, extension, "", ""))
}

// SetVar implements Channel.
func (e *ESLChannel) SetVar(ctx context.Context, name, value string) error {
	return e.wrap("set "+name, e.call.Set(ctx, name, value))
}

// SendDTMF implements Channel.
func (e *ESLChannel) SendDTMF(ctx context.Context, digits string) error {
	if !validDigits(digits) {
		return fmt.Errorf("send dtmf %q: only 0-9, *, #, A-D can be sent", digits)
	}
	_, err := e.call.Execute(ctx, "send_dtmf", digits)
	return e.wrap("send dtmf", err)
}

// Hangup implements Channel.
func (e *ESLChannel) Hangup(ctx context.Context, cause string) error {
	return e.wrap("hangup", e.call.Hangup(ctx, esl.Cause(cause)))
}
