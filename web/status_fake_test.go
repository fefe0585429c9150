package web_test

import (
	"context"
	"time"

	"github.com/ivrd/ivrd/web"
)

// xssBody is a text message a customer could send; the status page must show it as text.
const xssBody = `<img src=x onerror="document.body.dataset.pwned='img'"></td></script><script>document.body.dataset.pwned='script'</script>`

// fakeStatus is a StatusSource with one of everything the page shows.
func fakeStatus(now time.Time) web.StatusSource {
	return web.StatusFunc(func(ctx context.Context) (web.Status, error) {
		return web.Status{
			Instance:  "ivrd-a",
			StartedAt: now.Add(-2*time.Hour - 3*time.Minute),
			Now:       now,
			Nodes: []web.NodeStatus{
				{Name: "fs1", Address: "10.0.0.5:8021", Connected: true, Calls: 2, MaxCalls: 200},
				{Name: "fs2", Address: "10.0.0.6:8021", Connected: false},
			},
			Calls: []web.CallStatus{
				{ID: "7f4de2c0-call-one", Node: "fs1", Direction: "inbound", Caller: "+15551230001", Called: "5000", Flow: "hotline", Step: "main_menu", StartedAt: now.Add(-65 * time.Second)},
				{ID: "9a1bc3d4-call-two", Node: "fs1", Direction: "outbound", Caller: "5000", Called: "+15551230002", Flow: "callback", Step: "queue", StartedAt: now.Add(-3 * time.Second)},
			},
			Queues: []web.QueueStatus{{
				Name: "cards", Waiting: 3, LongestWait: 95 * time.Second, ServiceLevel: 0.82,
				Agents: []web.AgentStatus{{Endpoint: "user/1001", State: "talking"}, {Endpoint: "user/1002", State: "available"}},
			}},
			Callbacks: []web.CallbackStatus{{ID: "cb-17", Number: "+1555***0042", State: "retrying", Due: now.Add(10 * time.Minute), Attempts: 2}},
			Texts: []web.TextStatus{
				{At: now.Add(-time.Minute), Direction: "in", Number: "+15551230042", Body: xssBody, State: "received"},
				{At: now.Add(-50 * time.Second), Direction: "out", Number: "+15551230042", Body: "We will call you back in about 10 minutes.", State: "sent"},
			},
			QA:    []web.QAResult{{At: now.Add(-5 * time.Minute), CallID: "5c2e-qa", Recording: "5c2e-qa.wav", Score: 91, Passed: true, Summary: "greeting and verification done"}},
			Flows: []web.FlowGraph{{Name: "hotline", Mermaid: "flowchart TD\n  start --> main_menu\n  main_menu -->|1| cards"}},
		}, nil
	})
}
