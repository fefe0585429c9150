package callback

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/metrics"
)

func TestReportMetricsCountsRequestsByState(t *testing.T) {
	t.Parallel()
	b := setup(t, testConfig(), setupOpts{})
	ctx := context.Background()
	for i, n := range []string{numUS, numUS2, "+14155550301", "+14155550302"} {
		_, err := b.svc.Request(ctx, Request{Source: SourceAPI, Key: itoa(int64(i)), Number: n})
		require.NoError(t, err)
	}
	_, err := b.svc.Request(ctx, Request{Source: SourceAPI, Key: "bad", Number: numPremium})
	require.Error(t, err)
	_, err = b.pool.Exec(ctx, `UPDATE callback_request SET state = 'done' WHERE number = $1;`, numUS)
	require.NoError(t, err)
	_, err = b.pool.Exec(ctx, `UPDATE callback_request SET attempts = 1 WHERE number = $1`, numUS2)
	require.NoError(t, err)
	m := metrics.New()
	require.NoError(t, b.svc.ReportMetrics(ctx, m))
	got := map[string]float64{}
	families, err := m.Registry.Gather()
	require.NoError(t, err)
	for _, f := range families {
		if f.GetName() != "ivrd_callbacks" {
			continue
		}
		for _, s := range f.GetMetric() {
			got[s.GetLabel()[0].GetValue()] = s.GetGauge().GetValue()
		}
	}
	require.Equal(t, map[string]float64{metrics.CallbackPending: 2, metrics.CallbackRetrying: 1, metrics.CallbackCompleted: 1,
		metrics.CallbackDialing: 0, metrics.CallbackFailed: 0}, got, "refused requests are not counted")
}
