package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/ivrd/ivrd/config"
	"github.com/ivrd/ivrd/daemon"
	"github.com/ivrd/ivrd/esl"
	"github.com/ivrd/ivrd/esl/fstest"
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/sms"
)

// The pieces `ivrd demo` and `ivrd call --digits` share: the FreeSWITCH emulator with the
// demo's dialplan and agents, the demo queues, and the demo bank API.

// demoAgents are the emulator's agent phones: they ring demoAgentRing, then answer and talk
// for demoAgentTalk before hanging up.
var demoAgents = []string{"user/1001", "user/1002", "user/1003"}

const (
	demoAgentRing = 4 * time.Second
	demoAgentTalk = 20 * time.Second
)

// demoQueues are the queues the demo uses when the config defines none.
func demoQueues() map[string]*ivr.QueueConfig {
	return map[string]*ivr.QueueConfig{
		"general": {Agents: []string{"user/1001", "user/1002"}},
		"cards":   {Agents: []string{"user/1003", "user/1001"}},
		"loans":   {Agents: []string{"user/1002"}},
	}
}

// demoConfig fills what the demo needs into cfg: queues with the emulator's agents when the
// config has none; with the console SMS outbox, no quiet hours and no per-number limits (the
// demo's texts show at once, however often one tries).
func demoConfig(cfg *config.Config) {
	if len(cfg.Queues) == 0 {
		cfg.Queues = demoQueues()
	}
	if cfg.SMS.Gateway == "" || cfg.SMS.Gateway == "console" {
		cfg.SMS.QuietHours.Start, cfg.SMS.QuietHours.End = "", ""
		cfg.SMS.Limits = sms.Limits{}
	}
}

// startDemoEmulator starts the FreeSWITCH emulator on inboundAddr with the demo agents, who
// answer after a few seconds. routeToIvrd then sends every number to ivrd.
func startDemoEmulator(ctx context.Context, inboundAddr, password string, speed float64, log *slog.Logger) (*fstest.Server, error) {
	dp := fstest.NewDialplan()
	srv, err := fstest.Start(ctx, fstest.Options{Password: password, InboundAddr: inboundAddr, Dialplan: dp,
		Clock: fstest.ScaledClock(speed), Logger: log, Hostname: "demo-freeswitch"})
	if err != nil {
		return nil, fmt.Errorf("start the FreeSWITCH emulator: %w", err)
	}
	for _, a := range demoAgents {
		srv.SetEndpoint(a, fstest.Behavior{Outcome: fstest.OutcomeAnswer, After: demoAgentRing, HangupAfter: demoAgentTalk})
	}
	return srv, nil
}

// routeToIvrd makes every number of the emulator's dialplan run `socket <outbound> async full`,
// as FreeSWITCH's dialplan does in production.
func routeToIvrd(fs *fstest.Server, outbound string) {
	for _, c := range []string{"default", "public"} {
		fs.Dialplan().SetFallback(c, fstest.Socket(outbound))
	}
}

// emulatorNode is the emulator as a FreeSWITCH node of ivrd.yaml.
func emulatorNode(fs *fstest.Server) esl.Node {
	return esl.Node{Name: "demo", Address: fs.InboundAddr(), Password: fs.Password()}
}

// demoBank serves the demo bank API on a free loopback port.
type demoBank struct {
	srv  *http.Server
	addr string
}

func startDemoBank() (*demoBank, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demo bank API: %w", err)
	}
	b := &demoBank{srv: &http.Server{Handler: daemon.DemoBank{}, ReadHeaderTimeout: 5 * time.Second}, addr: ln.Addr().String()}
	go func() { _ = b.srv.Serve(ln) }()
	return b, nil
}

func (b *demoBank) close() { _ = b.srv.Close() }

// shippedDemoHost is where the shipped flows look the demo bank up (the default listen.http).
const shippedDemoHost = "127.0.0.1:8080"

// redirectClient sends the flows' demo bank requests (path /demo/ on the hosts from) to the
// address to() returns instead, so flows written for the demo's default HTTP address work
// wherever the bank really listens.
func redirectClient(to func() string, from ...string) *http.Client {
	base := http.DefaultTransport.(*http.Transport).Clone()
	return &http.Client{Transport: redirectTransport{from: from, to: to, next: base}}
}

type redirectTransport struct {
	from []string
	to   func() string
	next http.RoundTripper
}

func (t redirectTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if slices.Contains(t.from, r.URL.Host) && strings.HasPrefix(r.URL.Path, daemon.DemoBankPattern) {
		if to := t.to(); to != "" && to != r.URL.Host {
			r = r.Clone(r.Context())
			r.URL.Host = to
			r.Host = to
		}
	}
	return t.next.RoundTrip(r)
}

// demoDataHelp describes the demo bank's data for the printed instructions.
func demoDataHelp() string {
	var b strings.Builder
	for _, c := range daemon.DemoCustomers {
		vip := ""
		if c.VIP {
			vip = ", VIP"
		}
		fmt.Fprintf(&b, "    caller %s is customer %s (%s%s), balance %.2f USD\n", c.Number, c.ID, c.FirstName, vip, c.Balance)
	}
	accts := make([]string, 0, len(daemon.DemoAccounts))
	for a := range daemon.DemoAccounts {
		accts = append(accts, a)
	}
	sort.Strings(accts)
	for _, a := range accts {
		fmt.Fprintf(&b, "    account %s (any caller may type it) has %.2f USD\n", a, daemon.DemoAccounts[a])
	}
	return b.String()
}
