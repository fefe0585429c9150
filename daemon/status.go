package daemon

import (
	"context"
	"strings"
	"time"

	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/web"
)

// status feeds the status page: nodes, calls in progress, recent texts, flow graphs.
func (d *Daemon) status(ctx context.Context) (web.Status, error) {
	st := web.Status{Instance: hostname(), StartedAt: d.started, Now: time.Now(), Calls: d.calls.list()}
	if d.nodes != nil {
		for _, n := range d.nodes.Names() {
			c, _ := d.nodes.Client(n)
			st.Nodes = append(st.Nodes, web.NodeStatus{Name: n, Address: c.Node().Address, Connected: c.Connected(),
				Calls: c.ChannelCount(), MaxCalls: c.Node().MaxChannels})
		}
	}
	if d.queues != nil {
		if qs, err := d.queues.Stats(ctx); err == nil {
			for _, q := range qs {
				sl := -1.0
				if q.Answered > 0 {
					sl = float64(q.AnsweredWithin20) / float64(q.Answered)
				}
				qst := web.QueueStatus{Name: q.Queue, Waiting: q.Waiting, ServiceLevel: sl}
				for _, a := range q.Agents {
					state := a.State
					if !a.LoggedIn {
						state = "offline"
					}
					qst.Agents = append(qst.Agents, web.AgentStatus{Endpoint: a.Endpoint, State: state})
				}
				st.Queues = append(st.Queues, qst)
			}
		}
	}
	if d.db != nil && d.db.sms.Console != nil {
		for _, t := range d.db.sms.Console.Recent() {
			st.Texts = append(st.Texts, web.TextStatus{At: t.At, Direction: "out", Number: t.To, Body: t.Text, State: "sent"})
		}
	}
	for _, name := range d.flows.set.Names() {
		f, v, err := d.flows.set.Flow(name)
		if err != nil {
			continue
		}
		var b strings.Builder
		if ivr.WriteGraph(&b, f, ivr.GraphMermaid) == nil {
			st.Flows = append(st.Flows, web.FlowGraph{Name: name + " (version " + v + ")", Mermaid: b.String()})
		}
	}
	return st, nil
}
