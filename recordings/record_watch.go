package recordings

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/ivrd/ivrd/esl"
)

// WatchEvents are the events a Watcher needs; subscribe to exactly these.
var WatchEvents = []string{"RECORD_START", "RECORD_STOP", "CHANNEL_HANGUP_COMPLETE"}

// Channel variables the runtime sets on a recorded channel so its recording carries the call's
// metadata (all optional).
const (
	VarCallID   = "ivrd_call_id"   // the call's id (default: the channel's Unique-ID)
	VarAgent    = "ivrd_agent"     // the agent the call was bridged to
	VarQueue    = "ivrd_queue"     // the queue, which selects the QA rules
	VarFlowPath = "ivrd_flow_path" // the flow nodes the caller went through
	VarLanguage = "ivrd_language"  // ISO 639-1 language of the call (default recordings.language)
)

// Watcher submits recordings as FreeSWITCH finishes them: on RECORD_STOP, and on
// CHANNEL_HANGUP_COMPLETE for any recording that started but never reported its stop (so a
// recording FreeSWITCH lost still becomes a QA failure). The expected duration of a recording
// is the time between its RECORD_START and RECORD_STOP events, which does not depend on the
// file, so a cut or empty file shows.
type Watcher struct {
	Pipeline *Pipeline
	River    *river.Client[pgx.Tx]
	Log      *slog.Logger
	// Submitted, if set, is called after each submission (for tests and metrics).
	Submitted func(*Recording, error)

	started map[string]recordStart // by Unique-ID + path
}

type recordStart struct {
	at   time.Time
	path string
	uuid string
}

// Run consumes events until ctx ends or the subscription closes. Subscribe with WatchEvents.
func (w *Watcher) Run(ctx context.Context, events <-chan *esl.Event) error {
	if w.Log == nil {
		w.Log = slog.Default()
	}
	w.started = map[string]recordStart{}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case e, ok := <-events:
			if !ok {
				return errors.New("recordings: watcher: event subscription closed")
			}
			w.handle(ctx, e)
		}
	}
}

func (w *Watcher) handle(ctx context.Context, e *esl.Event) {
	w.Log.Debug("recordings: event", "name", e.Name(), "uuid", e.UUID(), "path", e.Get("Record-File-Path"), "seq", e.Seq())
	path := e.Get("Record-File-Path")
	key := e.UUID() + "\x00" + path
	switch e.Name() {
	case "RECORD_START":
		w.started[key] = recordStart{at: eventTime(e), path: path, uuid: e.UUID()}
	case "RECORD_STOP":
		start, ok := w.started[key]
		delete(w.started, key)
		call := CallFromEvent(e, path)
		if ok {
			call.Start = start.at
			call.Duration = eventTime(e).Sub(start.at)
		}
		w.submit(ctx, call)
	case "CHANNEL_HANGUP_COMPLETE":
		for k, s := range w.started {
			if s.uuid != e.UUID() {
				continue
			}
			delete(w.started, k)
			call := CallFromEvent(e, s.path)
			call.Start = s.at
			call.Duration = eventTime(e).Sub(s.at)
			w.Log.Warn("recordings: channel hung up without RECORD_STOP; checking the file anyway", "call", call.CallID, "path", s.path)
			w.submit(ctx, call)
		}
	}
}

func (w *Watcher) submit(ctx context.Context, call Call) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	rec, err := w.Pipeline.Submit(ctx, w.River, call)
	var ce *CheckError
	switch {
	case errors.As(err, &ce):
		// Submit stored and logged it as a QA failure.
	case err != nil:
		w.Log.Error("recordings: cannot submit recording", "call", call.CallID, "path", call.Path, "err", err)
	}
	if w.Submitted != nil {
		w.Submitted(rec, err)
	}
}

// CallFromEvent is the Call a channel event describes, recorded to path: the call id, caller,
// agent, queue, flow path and language from the channel (see the Var* variables), the start
// and duration from the answer time to the event.
func CallFromEvent(e *esl.Event, path string) Call {
	c := Call{
		CallID:   e.Var(VarCallID),
		Caller:   e.Get("Caller-Caller-ID-Number"),
		Agent:    e.Var(VarAgent),
		Queue:    e.Var(VarQueue),
		FlowPath: e.Var(VarFlowPath),
		Language: e.Var(VarLanguage),
		Path:     path,
	}
	if c.CallID == "" {
		c.CallID = e.UUID()
	}
	if ans := microTime(e.Get("Caller-Channel-Answered-Time")); !ans.IsZero() {
		c.Start = ans
		c.Duration = eventTime(e).Sub(ans)
	} else {
		c.Start = eventTime(e)
	}
	return c
}

// eventTime is Event-Date-Timestamp (microseconds since the epoch).
func eventTime(e *esl.Event) time.Time {
	if t := microTime(e.Get("Event-Date-Timestamp")); !t.IsZero() {
		return t
	}
	return time.Now()
}

func microTime(s string) time.Time {
	us, err := strconv.ParseInt(s, 10, 64)
	if err != nil || us <= 0 {
		return time.Time{}
	}
	return time.UnixMicro(us)
}

// String describes a Watcher for logs.
func (w *Watcher) String() string {
	return fmt.Sprintf("recordings watcher (%d destinations)", len(w.Pipeline.Destinations()))
}
