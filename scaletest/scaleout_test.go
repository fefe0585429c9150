package scaletest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/callback"
	"github.com/ivrd/ivrd/esl"
	"github.com/ivrd/ivrd/esl/fstest"
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/store/pgtest"
)

const (
	eslPassword = "scale-s3cret"
	// speed is how much faster than real time the emulated nodes run (ring times, prompts).
	speed = 10
	// greeting is what every answered customer hears: about 20 s of speech at the emulator's
	// speaking rate, 2 s of real time, so calls are in progress when a node is killed.
	// customerPrefix starts every customer's number.
	customerPrefix = "+1415555"
	greeting       = "Hello, this is the bank calling you back as you asked. "
)

// callbackFlow is the flow the answered customers run: the greeting, then a normal hangup.
var callbackFlow = "flow: callback\nsteps:\n  start:\n    play: \"" + strings.Repeat(greeting, 5) + "\"\n    next: end\n  end:\n    hangup:\n"

// node is one emulated FreeSWITCH and what the test saw on it.
type node struct {
	name string
	srv  *fstest.Server
	mu   sync.Mutex
	// legs are the callback legs created, by customer number; causes their hangup causes
	// by uuid; uuids the legs' UUIDs in order.
	legs     map[string]int
	answered map[string]int
	causes   map[string]string
	uuids    []string
}

func startNode(t *testing.T, name string) *node {
	t.Helper()
	srv, err := fstest.Start(context.Background(), fstest.Options{Password: eslPassword, Clock: fstest.ScaledClock(speed)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	// Customers answer after 2 s of ringing.
	srv.SetEndpoint("sofia/gateway/carrier/*", fstest.Behavior{Outcome: fstest.OutcomeAnswer, After: 2 * time.Second})
	n := &node{name: name, srv: srv, legs: map[string]int{}, answered: map[string]int{}, causes: map[string]string{}}

	// The test's own connection counts what FreeSWITCH sees: a leg per originate.
	c, err := esl.Dial(context.Background(), esl.Node{Name: "watch-" + name, Address: srv.InboundAddr(), Password: eslPassword},
		esl.ClientOptions{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	sub, err := c.Subscribe(ctx, esl.SubscribeOptions{Events: []string{"CHANNEL_CREATE", "CHANNEL_ANSWER", "CHANNEL_HANGUP_COMPLETE"}})
	require.NoError(t, err)
	go func() {
		for e := range sub.Events() {
			// Callback legs dial the customers' numbers (their variables are not all set
			// yet when CHANNEL_CREATE fires).
			if !strings.HasPrefix(e.Get("Caller-Destination-Number"), customerPrefix) {
				continue
			}
			n.mu.Lock()
			switch e.Name() {
			case "CHANNEL_CREATE":
				n.legs[e.Get("Caller-Destination-Number")]++
				n.uuids = append(n.uuids, e.UUID())
			case "CHANNEL_ANSWER":
				n.answered[e.Get("Caller-Destination-Number")]++
			case "CHANNEL_HANGUP_COMPLETE":
				n.causes[e.UUID()] = e.Get("Hangup-Cause")
			}
			n.mu.Unlock()
		}
	}()
	return n
}

func (n *node) dials(number string) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.legs[number]
}

func (n *node) answers(number string) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.answered[number]
}

func (n *node) total() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.uuids)
}

// attemptsByNode counts the attempts ivrd recorded as sent (not not_sent), by number and node.
func attemptsByNode(t *testing.T, db *pgxpool.Pool) map[string]map[string]int {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT r.number, a.node, count(*) FROM callback_attempt a
		JOIN callback_request r ON r.id = a.request_id WHERE a.state <> 'not_sent' GROUP BY r.number, a.node`)
	require.NoError(t, err)
	defer rows.Close()
	out := map[string]map[string]int{}
	for rows.Next() {
		var num, node string
		var n int
		require.NoError(t, rows.Scan(&num, &node, &n))
		if out[num] == nil {
			out[num] = map[string]int{}
		}
		out[num][node] = n
	}
	require.NoError(t, rows.Err())
	return out
}

// ivrdConfig writes the config of one ivrd instance: both nodes, the shared database.
func ivrdConfig(t *testing.T, dir, name, dbURL string, nodes []*node) (path, httpAddr string) {
	t.Helper()
	httpAddr = freeAddr(t)
	pwFile := filepath.Join(dir, "esl_password")
	var fs strings.Builder
	for _, n := range nodes {
		fmt.Fprintf(&fs, "  - {name: %s, address: %q, password_file: %q, max_channels: 8}\n", n.name, n.srv.InboundAddr(), pwFile)
	}
	cfg := fmt.Sprintf(`listen: {outbound: %q, http: %q}
freeswitch:
%sdatabase: {url: %q}
flows: {dir: %q, default: callback}
callbacks:
  dial: "sofia/gateway/carrier/{number}"
  caller_id: "+18005550000"
  ring_timeout: 10s
  default_region: US
  max_attempts: 2
  backoff: 200ms
  max_backoff: 400ms
  calls_per_second: 2
  max_per_node: 10
  workers: 10
`, freeAddr(t), httpAddr, fs.String(), dbURL, filepath.Join(dir, "flows"))
	path = filepath.Join(dir, name+".yaml")
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o644))
	return path, httpAddr
}

// postCallback asks ivrd for a callback through its HTTP API.
func postCallback(t *testing.T, httpAddr, key, number string) callback.APIResponse {
	t.Helper()
	body, err := json.Marshal(callback.APIRequest{Key: key, Number: number})
	require.NoError(t, err)
	resp, err := http.Post("http://"+httpAddr+"/api/callbacks", "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	var out callback.APIResponse
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	require.Equal(t, http.StatusCreated, resp.StatusCode, "POST /api/callbacks %s: %+v", number, out)
	return out
}

// TestTwoInstancesTwoNodesOneKilled runs two `ivrd serve` processes on one database, each
// driving the same two FreeSWITCH nodes, takes 40 callbacks through both instances' APIs and
// kills one node while calls are ringing and in progress on both. Every callback must end
// (answered once, or failed with a reason), none dialed twice, and the calls on the node that
// stays up must finish normally.
func TestTwoInstancesTwoNodesOneKilled(t *testing.T) {
	const customers = 40
	ivrdBinary(t) // build before the clock of anything else starts

	fs1, fs2 := startNode(t, "fs1"), startNode(t, "fs2")
	// On fs2 the last ten customers ring for 50 s before answering: when fs2 dies, some of
	// their originates are in flight.
	slow := func(i int) bool { return i >= customers-10 }
	number := func(i int) string { return fmt.Sprintf("%s%04d", customerPrefix, 2600+i) }
	for i := range customers {
		if slow(i) {
			fs2.srv.SetEndpoint("sofia/gateway/carrier/"+number(i), fstest.Behavior{Outcome: fstest.OutcomeAnswer, After: 50 * time.Second})
		}
	}

	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "flows"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "flows", "callback.yaml"), []byte(callbackFlow), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "esl_password"), []byte(eslPassword+"\n"), 0o600))
	dbURL := pgtest.NewDatabase(t)
	nodes := []*node{fs1, fs2}
	cfgA, httpA := ivrdConfig(t, dir, "a", dbURL, nodes)
	cfgB, httpB := ivrdConfig(t, dir, "b", dbURL, nodes)
	a := startServe(t, "ivrd-a", cfgA, httpA) // migrates the database
	b := startServe(t, "ivrd-b", cfgB, httpB)

	ctx := context.Background()
	db, err := pgxpool.New(ctx, dbURL)
	require.NoError(t, err)
	t.Cleanup(db.Close)

	// Half the customers ask through each instance; every one is a new request.
	ids := map[string]int64{}
	for i := range customers {
		inst := []*ivrdProcess{a, b}[i%2]
		ids[number(i)] = postCallback(t, inst.http, fmt.Sprintf("scale-%d", i), number(i)).ID
	}
	// A retried POST (same key) and a second request for a number are not new callbacks.
	again, err := json.Marshal(callback.APIRequest{Key: "scale-0", Number: number(0)})
	require.NoError(t, err)
	resp, err := http.Post("http://"+b.http+"/api/callbacks", "application/json", bytes.NewReader(again))
	require.NoError(t, err)
	var replay callback.APIResponse
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&replay))
	resp.Body.Close()
	require.Contains(t, []int{http.StatusOK, http.StatusCreated}, resp.StatusCode)
	require.Equal(t, ids[number(0)], replay.ID, "a retried POST (same key) is the same callback")

	// Kill fs2 once a slow customer is ringing there and both nodes have carried calls.
	require.Eventually(t, func() bool {
		ringing := false
		for i := range customers {
			if slow(i) && fs2.dials(number(i)) > 0 {
				ringing = true
			}
		}
		return ringing && fs1.total() >= 3 && fs2.total() >= 3
	}, 60*time.Second, 5*time.Millisecond, "no slow customer rang on fs2 while both nodes carried calls")
	// A crash: nothing more gets out of fs2 (not even the originate results it has queued),
	// its connections drop and its calls are gone.
	fs2.srv.SetEventDelay(time.Hour)
	require.NoError(t, fs2.srv.Close())
	inFlight := []string{}
	for i := range customers {
		if slow(i) && fs2.dials(number(i)) > 0 {
			inFlight = append(inFlight, number(i))
		}
	}
	fs1AtKill := fs1.total()
	t.Logf("fs2 killed after %d callback legs there (fs1: %d); ringing there: %v", fs2.total(), fs1AtKill, inFlight)

	// Every callback ends.
	type result struct {
		state, reason string
		attempts      int
	}
	results := map[string]result{}
	require.Eventually(t, func() bool {
		rows, err := db.Query(ctx, `SELECT number, state, reason, attempts FROM callback_request WHERE state <> 'refused'`)
		if err != nil {
			return false
		}
		defer rows.Close()
		open := 0
		for rows.Next() {
			var num string
			var r result
			if err := rows.Scan(&num, &r.state, &r.reason, &r.attempts); err != nil {
				return false
			}
			results[num] = r
			if r.state != "done" && r.state != "failed" {
				open++
			}
		}
		return rows.Err() == nil && open == 0 && len(results) == customers
	}, 90*time.Second, 100*time.Millisecond, "callbacks still open: %v", results)

	// Each customer is one request (none lost, none created twice), ended with a reason.
	require.Len(t, results, customers)
	sent := attemptsByNode(t, db)
	reasons := map[string]int{}
	for i := range customers {
		num := number(i)
		r, ok := results[num]
		require.True(t, ok, "callback for %s lost", num)
		require.NotEmpty(t, r.reason, "%s ended %s without a reason", num, r.state)
		reasons[r.state+"/"+r.reason]++
		// Every originate is an attempt recorded before it was sent, and no attempt is sent
		// twice: fs1 saw exactly the attempts placed on it; fs2 at most those (it died
		// before telling about the last ones).
		require.Equal(t, sent[num]["fs1"], fs1.dials(num), "%s: legs on fs1 vs attempts recorded on fs1", num)
		require.LessOrEqual(t, fs2.dials(num), sent[num]["fs2"], "%s: legs on fs2 vs attempts recorded on fs2", num)
		require.LessOrEqual(t, fs1.answers(num)+fs2.answers(num), 1, "%s answered twice", num)
		switch r.state {
		case "done":
			require.Equal(t, string(callback.ReasonAnswered), r.reason)
		case "failed":
			// Only an originate lost with its node fails here, and it is not dialed again.
			require.Equal(t, string(callback.ReasonUnknown), r.reason, "%s", num)
			require.Equal(t, 1, r.attempts, "%s dialed again after its node died", num)
			require.Equal(t, 1, sent[num]["fs2"], "%s: the lost attempt was on fs2", num)
			require.Zero(t, fs1.dials(num), "%s dialed again on fs1", num)
		}
	}
	t.Logf("callbacks: %v; legs fs1 %d, fs2 %d", reasons, fs1.total(), fs2.total())
	require.NotEmpty(t, inFlight)
	for _, num := range inFlight {
		require.Equal(t, result{"failed", string(callback.ReasonUnknown), 1}, results[num],
			"%s was ringing on fs2 when it crashed: its outcome is unknown and it is not dialed again", num)
	}
	require.Equal(t, customers-len(inFlight), reasons["done/"+string(callback.ReasonAnswered)], "every other customer was called back")
	require.Greater(t, fs1.total(), fs1AtKill, "fs1 took the work fs2 could no longer take")

	// Both instances dialed: River shares the jobs.
	var workers []string
	rows, err := db.Query(ctx, `SELECT DISTINCT attempted_by[array_length(attempted_by, 1)] FROM river_job WHERE kind = 'callback_dial' AND attempted_by IS NOT NULL`)
	require.NoError(t, err)
	for rows.Next() {
		var w string
		require.NoError(t, rows.Scan(&w))
		workers = append(workers, w)
	}
	require.NoError(t, rows.Err())
	require.Len(t, workers, 2, "dial jobs ran on both instances: %v", workers)

	// The calls on fs1, the node that stayed up, were unaffected: every callback leg there
	// ended with a normal hangup after the customer heard the flow to its end.
	fs1.mu.Lock()
	uuids := append([]string(nil), fs1.uuids...)
	fs1.mu.Unlock()
	require.Eventually(t, func() bool {
		fs1.mu.Lock()
		defer fs1.mu.Unlock()
		return len(fs1.causes) >= len(uuids)
	}, 60*time.Second, 50*time.Millisecond, "calls on fs1 still up")
	fs1.mu.Lock()
	for _, u := range uuids {
		require.Equal(t, "NORMAL_CLEARING", fs1.causes[u], "call %s on fs1", u)
	}
	fs1.mu.Unlock()
	var selfServed int
	require.Eventually(t, func() bool {
		err := db.QueryRow(ctx, `SELECT count(*) FROM ivr_call WHERE id = ANY($1) AND flow = 'callback' AND outcome = $2`,
			uuids, string(ivr.OutcomeSelfServed)).Scan(&selfServed)
		return err == nil && selfServed == len(uuids)
	}, 30*time.Second, 100*time.Millisecond, "call records of fs1's calls: %d of %d self-served", selfServed, len(uuids))
}
