package callback

import (
	"context"
	"fmt"

	"github.com/ivrd/ivrd/metrics"
)

// ReportMetrics sets ivrd_callbacks{state} from the database: pending (waiting for a first
// call), retrying (waiting after a failed call), dialing, completed (answered) and failed.
// Refused requests are not counted. Call it periodically (it is one grouped query).
func (s *Service) ReportMetrics(ctx context.Context, m *metrics.Metrics) error {
	rows, err := s.pool.Query(ctx, `SELECT CASE
			WHEN state = 'waiting' AND attempts = 0 THEN 'pending'
			WHEN state = 'waiting' THEN 'retrying'
			ELSE state END, count(*)::int
		FROM callback_request WHERE state <> 'refused' GROUP BY 1`)
	if err != nil {
		return fmt.Errorf("count callbacks: %w", err)
	}
	defer rows.Close()
	counts := map[string]int{metrics.CallbackPending: 0, metrics.CallbackRetrying: 0, metrics.CallbackDialing: 0,
		metrics.CallbackCompleted: 0, metrics.CallbackFailed: 0}
	names := map[string]string{"pending": metrics.CallbackPending, "retrying": metrics.CallbackRetrying,
		"dialing": metrics.CallbackDialing, "done": metrics.CallbackCompleted, "failed": metrics.CallbackFailed}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return fmt.Errorf("count callbacks: %w", err)
		}
		if name, ok := names[st]; ok {
			counts[name] = n
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("count callbacks: %w", err)
	}
	for st, n := range counts {
		m.Callbacks.WithLabelValues(st).Set(float64(n))
	}
	return nil
}
