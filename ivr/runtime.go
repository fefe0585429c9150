package ivr

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/ivrd/ivrd/ivr/expr"
	"github.com/ivrd/ivrd/recordings/recname"
)

// Runtime runs flows on calls. One Runtime serves every call of a process; Run is called once
// per call, on that call's own goroutine, which then owns all of the call's state: the runtime
// starts no goroutine of its own per call (a lookup briefly watches for hangup).
//
//	rt, err := ivr.NewRuntime(ivr.Config{Flows: flowSet, Records: writer})
//	...
//	// in the outbound-socket handler, one goroutine per call:
//	rec := rt.Run(ctx, ivr.NewESLChannel(call), ivr.CallOptions{Flow: "hotline"})
type Runtime struct {
	cfg Config
	log *slog.Logger
}

// Config is what a Runtime needs. Only Flows is required.
type Config struct {
	// Flows gives each new call its flow (a *FlowSet for hot reload).
	Flows FlowSource
	// Calendars resolve hours steps whose flow was loaded without a calendar catalog.
	Calendars map[string]*Calendar
	// Queues runs queue steps. nil: queue steps go to on_timeout (or next) at once.
	Queues QueueJoiner
	// Callbacks registers callback steps. nil: callback steps take their on_error branch.
	Callbacks CallbackRegistrar
	// Texter sends sms steps. nil: sms steps take their on_error branch.
	Texter Texter
	// HTTP is the client of lookup steps (each lookup has its own timeout). nil: a client
	// with default transport settings.
	HTTP *http.Client
	// Records receives each finished call's record (a *CallRecordWriter). nil: none kept.
	Records CallRecordSink
	// OnCallEnded hooks run after each call, on the call's goroutine, in order, once the
	// record is final (follow-up texts, recordings). They must not block for long; a
	// panicking hook is logged and the others still run.
	OnCallEnded []func(ctx context.Context, rec *CallRecord)
	// Clock is the time of day for hours steps and records. nil: the system clock.
	Clock Clock
	// Voices are the TTS engine|voice per language for say: audio (default flite|kal).
	Voices map[string]string
	// RecordingsDir is where record steps write WAV files (default $TMPDIR/ivrd-recordings).
	RecordingsDir string
	// RecordingName names each recording below RecordingsDir (recordings.name in ivrd.yaml,
	// parsed by recname.Parse). nil: "{{call.id}}-{{n}}.wav", flat in RecordingsDir.
	RecordingName *recname.Template
	// DialNumber turns a transfer target that is a phone number (no '/') into a FreeSWITCH
	// dial string. nil: "loopback/<number>/default/XML" (FreeSWITCH's dialplan routes it).
	DialNumber func(number string) string
	// MaxSteps bounds the steps one call may run, so a broken flow cannot spin (default 1000).
	MaxSteps int
	// CommandTimeout bounds each channel command that does not wait for the caller (answer,
	// set, hangup...) (default 10 s).
	CommandTimeout time.Duration
	// MediaTimeout bounds one prompt, or one try of a menu or input, in case FreeSWITCH
	// never reports its end (default 10 min).
	MediaTimeout time.Duration
	// Logger for the runtime (default slog.Default()).
	Logger *slog.Logger
}

// CallOptions say what to run on one call.
type CallOptions struct {
	// Flow is the flow's name in Config.Flows.
	Flow string
	// Vars are initial variables (e.g. a callback's reason), set after the flow's declared
	// defaults.
	Vars map[string]expr.Value
	// Language is the caller's language at the start ("" : the flow's default).
	Language string
	// Direction is "inbound" (default) or "outbound" (callbacks): call.direction in flows.
	Direction string
	// CallerName is the caller ID name (caller.name in flows).
	CallerName string
	// NoAnswer skips answering (the call is already answered, e.g. an originated callback).
	NoAnswer bool
	// Clock overrides Config.Clock for this call (flow tests give the FakeChannel).
	Clock Clock
	// OnStep, when set, is called on the call's goroutine as each step is entered (live
	// transcripts, flow tests).
	OnStep func(flow *Flow, step *Step)
}

// NewRuntime checks cfg and returns a Runtime.
func NewRuntime(cfg Config) (*Runtime, error) {
	if cfg.Flows == nil {
		return nil, errors.New("ivr runtime: Config.Flows is nil: give it the loaded flows (e.g. an *ivr.FlowSet)")
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{}
	}
	if cfg.Clock == nil {
		cfg.Clock = SystemClock{}
	}
	if cfg.RecordingsDir == "" {
		cfg.RecordingsDir = filepath.Join(os.TempDir(), "ivrd-recordings")
	}
	if cfg.RecordingName == nil {
		cfg.RecordingName = flatRecordingName
	}
	if cfg.DialNumber == nil {
		cfg.DialNumber = func(n string) string { return "loopback/" + n + "/default/XML" }
	}
	if cfg.MaxSteps <= 0 {
		cfg.MaxSteps = 1000
	}
	if cfg.CommandTimeout <= 0 {
		cfg.CommandTimeout = 10 * time.Second
	}
	if cfg.MediaTimeout <= 0 {
		cfg.MediaTimeout = 10 * time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Runtime{cfg: cfg, log: cfg.Logger}, nil
}

// Run runs a flow on ch until the call ends and returns the call's record (also handed to
// Config.Records and the OnCallEnded hooks). It returns when the call is over for ivrd: the
// flow hung up, transferred the call away, or the caller hung up (at any moment: every
// channel command fails at once, the flow unwinds, nothing is left running). Cancelling ctx
// hangs the call up (daemon shutdown).
func (rt *Runtime) Run(ctx context.Context, ch Channel, opts CallOptions) *CallRecord {
	c := rt.newCall(ch, opts)
	c.run(ctx)
	rt.finish(ctx, c)
	return c.rec
}

// finish hands the record to the sink and the hooks.
func (rt *Runtime) finish(ctx context.Context, c *call) {
	if rt.cfg.Records != nil {
		rt.cfg.Records.Save(c.rec)
	}
	for i, h := range rt.cfg.OnCallEnded {
		func() {
			defer func() {
				if p := recover(); p != nil {
					rt.log.Error("OnCallEnded hook panicked", "hook", i, "call", c.rec.ID, "panic", fmt.Sprint(p))
				}
			}()
			h(context.WithoutCancel(ctx), c.rec)
		}()
	}
}
