package ivr

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/esl/fstest"
	"github.com/ivrd/ivrd/store/pgtest"
)

// goroutines returns the stacks of all goroutines by id.
func goroutines() map[string]string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	out := map[string]string{}
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		head, _, _ := strings.Cut(string(g), "\n")
		f := strings.Fields(head) // goroutine 42 [chan receive]:
		if len(f) >= 2 && f[0] == "goroutine" {
			out[f[1]] = string(g)
		}
	}
	return out
}

// leakBaseline is the goroutines alive at a moment; Check waits until every goroutine started
// since has ended, and fails the test listing those that did not.
type leakBaseline map[string]string

func takeLeakBaseline() leakBaseline { return goroutines() }

func (b leakBaseline) newer() []string {
	var out []string
	for id, stack := range goroutines() {
		if _, old := b[id]; old {
			continue
		}
		if strings.Contains(stack, "runtime.Stack(") || strings.Contains(stack, "testing.tRunner") && strings.Contains(stack, "leakBaseline") {
			continue // this checker
		}
		out = append(out, stack)
	}
	return out
}

// Check fails t unless the goroutines started since the baseline all end within wait. It
// polls: goroutines need a moment to unwind after the calls that owned them end.
func (b leakBaseline) Check(t *testing.T, wait time.Duration) int {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		extra := b.newer()
		if len(extra) == 0 {
			return 0
		}
		if time.Now().After(deadline) {
			t.Errorf("%d goroutine(s) still running:\n\n%s", len(extra), strings.Join(extra, "\n\n"))
			return len(extra)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The flow of the hang-up test goes through every kind of wait a call can be in when the
// caller hangs up: prompts, menus, inputs with confirmation, a lookup, ringing agents, a
// conversation, recording.
const hangupFlow = `
flow: hangups
steps:
  start:
    record: start
    next: welcome
  welcome:
    play:
      - "Welcome to the bank."
      - tone_stream://%(2000,0,440)
    next: who
  who:
    lookup:
      url: "LOOKUP/customers?number={{caller.number | urlquery}}"
      timeout: 3s
      save:
        vip: vip
      on_error: main
    next: main
  main:
    menu:
      prompt: "Press 1 for your balance, 0 for a person."
      options:
        1: account
        0: agent
      on_fail: agent
  account:
    input:
      prompt: "Enter your account number."
      into: account
      min: 4
      max: 4
      confirm: true
      on_fail: agent
    next: balance
  balance:
    play: "Your balance is 12 dollars."
    next: agent
  agent:
    queue: general
    next: bye
  bye:
    hangup:
`

func TestE2ECallerHangsUpAtRandomMomentsAndNothingIsLeftRunning(t *testing.T) {
	// Not parallel: the goroutine check must see only this test's goroutines.
	ctx := context.Background()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A slow CRM: hangups happen during the lookup too.
		select {
		case <-time.After(time.Duration(rand.IntN(40)) * time.Millisecond):
		case <-r.Context().Done():
		}
		_, _ = w.Write([]byte(`{"vip": false}`))
	}))
	t.Cleanup(api.Close)
	transport := &http.Transport{DisableKeepAlives: true}
	t.Cleanup(transport.CloseIdleConnections)

	pool := pgtest.NewPool(t, Migrations)
	writer := NewCallRecordWriter(pool, nil)
	writer.Start(ctx)
	t.Cleanup(func() { _ = writer.Stop(context.Background()) })

	queues := &AgentRollover{Queues: map[string]*QueueConfig{"general": {Agents: []string{"user/1001", "user/1002"}}}, RingTimeout: 4 * time.Second}
	flow := parseTestFlow(t, strings.ReplaceAll(hangupFlow, "LOOKUP", api.URL))
	b := setupE2E(t, Config{Queues: queues, Records: writer, HTTP: &http.Client{Transport: transport}}, flow)
	b.fs.SetEndpoint("user/1001", fstest.Behavior{Outcome: fstest.OutcomeNoAnswer})
	b.fs.SetEndpoint("user/1002", fstest.Behavior{Outcome: fstest.OutcomeAnswer, After: 2 * time.Second, HangupAfter: 20 * time.Second})

	baseline := takeLeakBaseline()
	const calls = 40
	rng := rand.New(rand.NewPCG(4, 2))
	type placed struct {
		call  *fstest.Call
		after time.Duration
	}
	var mu sync.Mutex
	var all []placed
	var wg sync.WaitGroup
	for i := 0; i < calls; i++ {
		after := time.Duration(rng.IntN(45000)) * time.Millisecond // emulated: 0-45 s into the call
		digits := []string{"1", "0", "7"}[rng.IntN(3)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, 60*time.Second)
			defer cancel()
			c, err := b.fs.PlaceCall(cctx, fstest.CallSpec{CallerNumber: fmt.Sprintf("+1555000%04d", i), Script: []fstest.Step{
				{On: onPrompt("Press 1"), DTMF: digits},
				{On: onPrompt("Enter your account"), DTMF: "4321"},
				{On: onPrompt("You entered"), DTMF: "1"},
			}})
			if !assertNoErr(t, err) {
				return
			}
			mu.Lock()
			all = append(all, placed{c, after})
			mu.Unlock()
			go func() {
				select {
				case <-b.fs.Clock().After(after):
					c.Hangup("NORMAL_CLEARING")
				case <-c.Done():
				}
			}()
			// A caller who hangs up before the answer makes the emulator's originate fail
			// (-ERR NORMAL_CLEARING): that is how such a call ends, not a test failure.
			_, _ = c.Wait(cctx)
			assertNoErr(t, cctx.Err())
		}()
	}
	wg.Wait()

	// Every call the runtime was handed ended, with a record. (A caller who hangs up while
	// FreeSWITCH is still connecting the socket never reaches the runtime.)
	deadline := time.Now().Add(30 * time.Second)
	for b.srv.ActiveCalls() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d calls still in the runtime after every caller hung up", b.srv.ActiveCalls())
		}
		time.Sleep(10 * time.Millisecond)
	}
	outcomes := map[Outcome]int{}
	ids := map[string]bool{}
	for len(b.records) > 0 {
		rec := <-b.records
		outcomes[rec.Outcome]++
		ids[rec.ID] = true
		require.NotEqual(t, OutcomeError, rec.Outcome, "call %s: %s", rec.ID, rec.Error)
	}
	require.Greater(t, len(ids), calls*3/4, "most calls reached the runtime")
	t.Logf("outcomes of %d calls hung up at random moments: %v", calls, outcomes)
	require.Greater(t, outcomes[OutcomeAbandoned], 0, "some callers hung up before an agent answered")

	// Nothing of the calls is left running: no call goroutine, no per-call ESL reader, no
	// lookup watcher, no emulator channel.
	require.Zero(t, baseline.Check(t, 15*time.Second))

	// And every call's record is in PostgreSQL.
	fctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	require.NoError(t, writer.Flush(fctx))
	for id := range ids {
		rec, err := LoadCallRecord(ctx, pool, id)
		require.NoError(t, err)
		require.Equal(t, "hangups", rec.Flow)
		require.NotEmpty(t, rec.Events)
	}
	require.Len(t, all, calls)
}

func assertNoErr(t *testing.T, err error) bool {
	t.Helper()
	if err != nil {
		t.Error(err)
		return false
	}
	return true
}
