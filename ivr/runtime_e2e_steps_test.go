package ivr

import (
	"context"
	"encoding/binary"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/esl/fstest"
	"github.com/ivrd/ivrd/sms"
)

// fixedClock is a Clock stopped at one moment (business hours tests).
type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

func kinds(events []fstest.CallEvent, k fstest.EventKind) []string {
	var out []string
	for _, e := range events {
		if e.Kind == k {
			out = append(out, strings.TrimSpace(e.App+" "+e.Data+" "+e.Response+" "+e.Cause))
		}
	}
	return out
}

func TestE2ELookupSavesTheAnswerAndTakesTheErrorBranchOnTimeout(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.String())
		mu.Unlock()
		if strings.HasPrefix(r.URL.Path, "/slow") {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"customer": {"vip": true, "name": "Ana", "accounts": [{"balance": 12.5}]}}`))
	}))
	t.Cleanup(api.Close)
	flow := parseTestFlow(t, `
flow: lookups
steps:
  start:
    lookup:
      url: "`+api.URL+`/customers?number={{caller.number | urlquery}}"
      save:
        vip: customer.vip
        name: customer.name
        balance: customer.accounts[0].balance
      on_error: failed
    next: slow
  slow:
    lookup:
      method: POST
      url: "`+api.URL+`/slow"
      body: {number: "{{caller.number}}"}
      timeout: 200ms
      save:
        never: x
      on_error: failed
    next: bye
  failed:
    set:
      failed: "yes"
    next: bye
  bye:
    hangup:
`)
	b := setupE2E(t, Config{}, flow)
	_, res, rec := b.call(t, fstest.CallSpec{CallerNumber: "+15551230001"})
	require.Equal(t, "NORMAL_CLEARING", res.Cause)
	require.Equal(t, "start slow failed bye", strings.Join(rec.Steps(), " "))
	require.Equal(t, "true", rec.Vars["vip"])
	require.Equal(t, "Ana", rec.Vars["name"])
	require.Equal(t, "12.5", rec.Vars["balance"])
	require.Equal(t, "yes", rec.Vars["failed"])
	_, saved := rec.Vars["never"]
	require.False(t, saved)
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, []string{"GET /customers?number=%2B15551230001", "POST /slow"}, seen)
	var lookups []string
	for _, e := range rec.Events {
		if e.Kind == EventLookup {
			lookups = append(lookups, e.Detail)
		}
	}
	require.Len(t, lookups, 2)
	require.Equal(t, "GET 200", lookups[0])
	require.Contains(t, lookups[1], "no answer within 200ms")
}

const hoursFlow = `
flow: hours
steps:
  start:
    hours: bank
    open: open
    closed: closed
    holiday: holiday
  open:
    play: "We are open."
    next: bye
  closed:
    play: "We are closed."
    next: bye
  holiday:
    play: "Happy holidays."
    next: bye
  bye:
    hangup:
`

func TestE2EHoursFollowTheCalendarAtTheClocksTime(t *testing.T) {
	t.Parallel()
	var cal Calendar
	require.NoError(t, cal.UnmarshalYAML(mustYAMLNode(t, `
timezone: America/New_York
hours:
  mon-fri: 08:00-20:00
holidays:
  - {date: 2026-11-26, name: Thanksgiving}
`)))
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	for _, tc := range []struct {
		name  string
		at    time.Time
		heard string
	}{
		{"a Tuesday morning is open", time.Date(2026, 11, 24, 10, 0, 0, 0, ny), "We are open."},
		{"a Tuesday night is closed", time.Date(2026, 11, 24, 21, 0, 0, 0, ny), "We are closed."},
		{"Thanksgiving is a holiday", time.Date(2026, 11, 26, 10, 0, 0, 0, ny), "Happy holidays."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setupE2E(t, Config{Clock: fixedClock{tc.at}, Calendars: map[string]*Calendar{"bank": &cal}}, parseTestFlow(t, hoursFlow))
			c, _, rec := b.call(t, fstest.CallSpec{})
			require.Contains(t, strings.Join(c.Heard(), "|"), tc.heard)
			require.Equal(t, OutcomeSelfServed, rec.Outcome)
		})
	}
}

func TestE2EQueueRollsOverAnAgentWhoDoesNotAnswer(t *testing.T) {
	t.Parallel()
	flow := parseTestFlow(t, `
flow: q
steps:
  start:
    record:
      mode: bridge
    next: agent
  agent:
    queue: general
    next: bye
  bye:
    hangup:
`)
	queues := &AgentRollover{Queues: map[string]*QueueConfig{"general": {Agents: []string{"user/1001", "user/1002", "user/1003"}}}, RingTimeout: 3 * time.Second}
	b := setupE2E(t, Config{Queues: queues}, flow)
	b.fs.SetEndpoint("user/1001", fstest.Behavior{Outcome: fstest.OutcomeNoAnswer})
	b.fs.SetEndpoint("user/1002", fstest.Behavior{Outcome: fstest.OutcomeBusy, After: 500 * time.Millisecond})
	b.fs.SetEndpoint("user/1003", fstest.Behavior{Outcome: fstest.OutcomeAnswer, After: time.Second, HangupAfter: 5 * time.Second})
	c, res, rec := b.call(t, fstest.CallSpec{})
	ev := c.Events()
	require.Equal(t, []string{"user/1001", "user/1002", "user/1003"}, kinds(ev, fstest.KindBridge))
	failed := kinds(ev, fstest.KindBridgeFailed)
	require.Len(t, failed, 2, "%v", ev)
	require.Contains(t, failed[0], "NO_ANSWER")
	require.Contains(t, failed[1], "USER_BUSY")
	require.Len(t, kinds(ev, fstest.KindBridged), 1)
	require.Equal(t, "NORMAL_CLEARING", res.Cause, "the caller stayed up after the busy agent (continue_on_fail)")
	require.Equal(t, OutcomeQueued, rec.Outcome)
	require.Equal(t, "start agent bye", strings.Join(rec.Steps(), " "))
	// Only the conversation is recorded: one file, and it is a WAV.
	require.Len(t, rec.Recordings, 1)
	requireWAV(t, rec.Recordings[0].Path)
}

func TestE2ETransferBridgesAndTakesOnFailWhenBusy(t *testing.T) {
	t.Parallel()
	flow := parseTestFlow(t, `
flow: transfer
steps:
  start:
    transfer:
      to: user/2001
      timeout: 5s
      on_fail: fallback
    next: bye
  fallback:
    transfer: "{{caller.number}}"
    next: bye
  bye:
    hangup:
`)
	b := setupE2E(t, Config{DialNumber: func(n string) string { return "sofia/gateway/carrier/" + n }}, flow)
	b.fs.SetEndpoint("user/2001", fstest.Behavior{Outcome: fstest.OutcomeBusy})
	b.fs.SetEndpoint("sofia/gateway/carrier/*", fstest.Behavior{Outcome: fstest.OutcomeAnswer, HangupAfter: 2 * time.Second})
	c, _, rec := b.call(t, fstest.CallSpec{CallerNumber: "15557654321"})
	require.Equal(t, []string{"user/2001", "sofia/gateway/carrier/15557654321"}, kinds(c.Events(), fstest.KindBridge))
	require.Equal(t, OutcomeTransferred, rec.Outcome)
	require.Equal(t, "start fallback bye", strings.Join(rec.Steps(), " "))
}

func TestE2ERecordStartStopWritesAWAV(t *testing.T) {
	t.Parallel()
	flow := parseTestFlow(t, `
flow: rec
steps:
  start:
    record: start
    next: tone
  tone:
    play: tone_stream://%(1000,0,440)
    next: stop
  stop:
    record: stop
    next: bye
  bye:
    hangup:
`)
	b := setupE2E(t, Config{}, flow)
	c, _, rec := b.call(t, fstest.CallSpec{})
	require.Len(t, rec.Recordings, 1)
	r := rec.Recordings[0]
	require.Len(t, kinds(c.Events(), fstest.KindRecordStop), 1)
	require.Greater(t, r.Bytes, int64(44))
	require.GreaterOrEqual(t, r.Duration, 900*time.Millisecond)
	requireWAV(t, r.Path)
}

func requireWAV(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Greater(t, len(data), 44)
	require.Equal(t, "RIFF", string(data[0:4]))
	require.Equal(t, "WAVE", string(data[8:12]))
	require.Equal(t, uint16(1), binary.LittleEndian.Uint16(data[20:22]), "PCM")
}

// recordingTexts and recordingCallbacks are the services a real deployment plugs in.
type sentTexts struct {
	mu   sync.Mutex
	sent []sms.Text
}

func (s *sentTexts) Send(_ context.Context, t sms.Text) (sms.Queued, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = append(s.sent, t)
	return sms.Queued{ID: int64(len(s.sent)), To: t.To, Body: t.Body}, nil
}

type registeredCallbacks struct {
	mu  sync.Mutex
	got []CallbackRequest
}

func (r *registeredCallbacks) RegisterCallback(_ context.Context, req CallbackRequest) (CallbackReceipt, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, req)
	return CallbackReceipt{ID: "cb-42", ETA: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}, nil
}

func TestE2ETextCallbackAndSubflow(t *testing.T) {
	t.Parallel()
	main := parseTestFlow(t, `
flow: main
vars:
  topic: loans
steps:
  start:
    call: helper
    next: text
  text:
    sms:
      text: "Hi, about {{vars.topic}}: we will call you."
    next: book
  book:
    callback:
      reason: "{{vars.topic}} appointment"
      queue: loans
    next: bye
  bye:
    hangup: USER_BUSY
`)
	helper := parseTestFlow(t, `
flow: helper
steps:
  start:
    set:
      topic: "small business {{vars.topic}}"
    next: done
  done:
    return:
`)
	texts, callbacks := &sentTexts{}, &registeredCallbacks{}
	b := setupE2E(t, Config{Texter: texts, Callbacks: callbacks}, main, helper)
	_, res, rec := b.call(t, fstest.CallSpec{CallerNumber: "+15551230001"})
	require.Equal(t, "USER_BUSY", res.Cause, "the hangup step's cause reaches FreeSWITCH")
	require.Equal(t, "start start done text book bye", strings.Join(rec.Steps(), " "))
	require.Equal(t, OutcomeCallback, rec.Outcome)
	texts.mu.Lock()
	require.Len(t, texts.sent, 1)
	require.Equal(t, "Hi, about small business loans: we will call you.", texts.sent[0].Body)
	require.Equal(t, "+15551230001", texts.sent[0].To)
	require.Equal(t, "flow:"+rec.ID+":text", texts.sent[0].Key)
	texts.mu.Unlock()
	callbacks.mu.Lock()
	require.Len(t, callbacks.got, 1)
	require.Equal(t, "small business loans appointment", callbacks.got[0].Reason)
	require.Equal(t, "loans", callbacks.got[0].Queue)
	require.Equal(t, "+15551230001", callbacks.got[0].Number)
	callbacks.mu.Unlock()
}

func mustYAMLNode(t *testing.T, src string) ast.Node {
	t.Helper()
	f, err := parser.ParseBytes([]byte(src), 0)
	require.NoError(t, err)
	return f.Docs[0].Body
}
