package metrics

import (
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Label values for CallsTotal's outcome label. Packages may record other outcomes, but these
// are the ones dashboards expect.
const (
	OutcomeCompleted  = "completed"   // the flow reached its end or the caller was served
	OutcomeAbandoned  = "abandoned"   // the caller hung up before being served
	OutcomeTransfered = "transferred" // bridged to an agent
	OutcomeCallback   = "callback"    // the caller chose a callback instead of waiting
	OutcomeText       = "text"        // the caller chose a text instead of waiting
	OutcomeFailed     = "failed"      // ivrd or FreeSWITCH failed the call
)

// Label values for Callbacks' state label.
const (
	CallbackPending   = "pending"
	CallbackDialing   = "dialing"
	CallbackRetrying  = "retrying"
	CallbackCompleted = "completed"
	CallbackFailed    = "failed"
	CallbackCancelled = "cancelled"
)

// Metrics holds every metric ivrd exports. Fields are safe for concurrent use.
type Metrics struct {
	// Registry is what /metrics serves. It also holds the Go runtime and process collectors.
	Registry *prometheus.Registry

	// CallsInProgress is ivrd_calls_in_progress{node}: calls ivrd is running now, by FreeSWITCH node.
	CallsInProgress *prometheus.GaugeVec
	// CallsTotal is ivrd_calls_total{flow,outcome}: finished calls by flow and outcome.
	CallsTotal *prometheus.CounterVec
	// StepSeconds is ivrd_flow_step_duration_seconds{kind}: how long ivrd took to run one flow
	// step (command sent to FreeSWITCH until its result), by step kind (menu, play, bridge...).
	StepSeconds *prometheus.HistogramVec

	// ESLReconnects is ivrd_esl_reconnects_total{node}: inbound ESL connections re-established.
	ESLReconnects *prometheus.CounterVec
	// ESLSequenceGaps is ivrd_esl_event_sequence_gaps_total{node}: jumps in Event-Sequence,
	// i.e. events FreeSWITCH sent that ivrd never saw.
	ESLSequenceGaps *prometheus.CounterVec
	// FreeSWITCHUp is ivrd_freeswitch_up{node}: 1 while ivrd holds a working ESL connection.
	FreeSWITCHUp *prometheus.GaugeVec

	// QueueWaiting is ivrd_queue_waiting{queue}: callers waiting in each queue now.
	QueueWaiting *prometheus.GaugeVec
	// QueueServiceLevel is ivrd_queue_service_level_ratio{queue}: the share (0..1) of callers
	// answered within the queue's target time, over the queue's service-level window.
	QueueServiceLevel *prometheus.GaugeVec

	// Callbacks is ivrd_callbacks{state}: callback requests in each state now.
	Callbacks *prometheus.GaugeVec

	// TextsSent is ivrd_texts_sent_total{gateway,kind}: text messages a gateway accepted.
	TextsSent *prometheus.CounterVec
	// TextsFailed is ivrd_texts_failed_total{gateway,kind}: text messages that failed for good.
	TextsFailed *prometheus.CounterVec

	// QABacklog is ivrd_qa_backlog: recordings waiting for QA (forwarding, transcription, scoring).
	QABacklog prometheus.Gauge
}

// New builds the metrics on a new registry with the Go runtime and process collectors.
func New() *Metrics {
	r := prometheus.NewRegistry()
	m := &Metrics{
		Registry: r,
		CallsInProgress: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ivrd_calls_in_progress",
			Help: "Calls ivrd is running now, by FreeSWITCH node.",
		}, []string{"node"}),
		CallsTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ivrd_calls_total",
			Help: "Finished calls by flow and outcome (completed, abandoned, transferred, callback, text, failed).",
		}, []string{"flow", "outcome"}),
		StepSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ivrd_flow_step_duration_seconds",
			Help:    "Time ivrd spent on one flow step, from command sent to FreeSWITCH to its result, by step kind.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"kind"}),
		ESLReconnects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ivrd_esl_reconnects_total",
			Help: "Inbound ESL connections to FreeSWITCH re-established after a failure, by node.",
		}, []string{"node"}),
		ESLSequenceGaps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ivrd_esl_event_sequence_gaps_total",
			Help: "Gaps in FreeSWITCH's Event-Sequence seen by ivrd (events lost), by node.",
		}, []string{"node"}),
		FreeSWITCHUp: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ivrd_freeswitch_up",
			Help: "1 while ivrd holds a working ESL connection to the node, else 0.",
		}, []string{"node"}),
		QueueWaiting: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ivrd_queue_waiting",
			Help: "Callers waiting in the queue now.",
		}, []string{"queue"}),
		QueueServiceLevel: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ivrd_queue_service_level_ratio",
			Help: "Share (0..1) of callers answered within the queue's target wait, over its service-level window.",
		}, []string{"queue"}),
		Callbacks: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ivrd_callbacks",
			Help: "Callback requests by state (pending, dialing, retrying, completed, failed, cancelled).",
		}, []string{"state"}),
		TextsSent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ivrd_texts_sent_total",
			Help: "Text messages accepted by a gateway, by gateway and kind (followup, confirmation, promotion...).",
		}, []string{"gateway", "kind"}),
		TextsFailed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ivrd_texts_failed_total",
			Help: "Text messages that failed for good after retries, by gateway and kind.",
		}, []string{"gateway", "kind"}),
		QABacklog: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ivrd_qa_backlog",
			Help: "Recordings waiting for QA: forwarding, transcription or scoring not yet done.",
		}),
	}
	r.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.CallsInProgress, m.CallsTotal, m.StepSeconds,
		m.ESLReconnects, m.ESLSequenceGaps, m.FreeSWITCHUp,
		m.QueueWaiting, m.QueueServiceLevel, m.Callbacks,
		m.TextsSent, m.TextsFailed, m.QABacklog,
	)
	return m
}

// Register adds a package's own collectors to the registry. It fails when a collector's
// metric name is already taken, naming it.
func (m *Metrics) Register(cs ...prometheus.Collector) error {
	for _, c := range cs {
		if err := m.Registry.Register(c); err != nil {
			return fmt.Errorf("register metrics collector: %w", err)
		}
	}
	return nil
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}
