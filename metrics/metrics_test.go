package metrics_test

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/metrics"
)

func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	require.Equal(t, 200, rec.Code)
	b, err := io.ReadAll(rec.Body)
	require.NoError(t, err)
	return string(b)
}

func TestMetricsExposeEverySeriesTheOperatorsDashboardNeeds(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	m.CallsInProgress.WithLabelValues("fs1").Set(3)
	m.CallsTotal.WithLabelValues("hotline", metrics.OutcomeCompleted).Inc()
	m.StepSeconds.WithLabelValues("menu").Observe(0.004)
	m.ESLReconnects.WithLabelValues("fs1").Inc()
	m.ESLSequenceGaps.WithLabelValues("fs1").Add(2)
	m.FreeSWITCHUp.WithLabelValues("fs1").Set(1)
	m.QueueWaiting.WithLabelValues("sales").Set(4)
	m.QueueServiceLevel.WithLabelValues("sales").Set(0.8)
	m.Callbacks.WithLabelValues(metrics.CallbackPending).Set(7)
	m.TextsSent.WithLabelValues("kannel", "followup").Inc()
	m.TextsFailed.WithLabelValues("kannel", "followup").Inc()
	m.QABacklog.Set(5)

	out := scrape(t, m)
	for _, want := range []string{
		`ivrd_calls_in_progress{node="fs1"} 3`,
		`ivrd_calls_total{flow="hotline",outcome="completed"} 1`,
		`ivrd_flow_step_duration_seconds_bucket{kind="menu",le="0.005"} 1`,
		`ivrd_esl_reconnects_total{node="fs1"} 1`,
		`ivrd_esl_event_sequence_gaps_total{node="fs1"} 2`,
		`ivrd_freeswitch_up{node="fs1"} 1`,
		`ivrd_queue_waiting{queue="sales"} 4`,
		`ivrd_queue_service_level_ratio{queue="sales"} 0.8`,
		`ivrd_callbacks{state="pending"} 7`,
		`ivrd_texts_sent_total{gateway="kannel",kind="followup"} 1`,
		`ivrd_texts_failed_total{gateway="kannel",kind="followup"} 1`,
		`ivrd_qa_backlog 5`,
		`go_goroutines `,
	} {
		require.Contains(t, out, want)
	}
}

func TestRegisterAddsAPackagesOwnCollectorAndRefusesDuplicates(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "ivrd_sms_keywords_total", Help: "test"})
	require.NoError(t, m.Register(c))
	c.Inc()
	require.True(t, strings.Contains(scrape(t, m), "ivrd_sms_keywords_total 1"))

	dup := prometheus.NewGauge(prometheus.GaugeOpts{Name: "ivrd_qa_backlog", Help: "again"})
	err := m.Register(dup)
	require.ErrorContains(t, err, "register metrics collector")
}

func TestTwoMetricsSetsDoNotShareSeries(t *testing.T) {
	t.Parallel()
	a, b := metrics.New(), metrics.New()
	a.QABacklog.Set(9)
	require.NotContains(t, scrape(t, b), "ivrd_qa_backlog 9")
}
