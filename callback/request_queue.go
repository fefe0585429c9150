package callback

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ivrd/ivrd/ivr"
)

// CallbackTurn dials a callback booked from the queue now: the caller's kept place reached the
// head of the queue and an agent is free. Give it to ivr.QueueEngineOptions.OnCallbackTurn.
func (s *Service) CallbackTurn(turn ivr.CallbackTurn) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.DialNow(ctx, turn.ReceiptID); err != nil {
		s.log.Warn("callback turn came but the call could not be brought forward; it is placed at its estimated time",
			"id", turn.ReceiptID, "queue", turn.Queue, "err", err)
	}
}

// DialNow makes a waiting request's next attempt due now (still inside the calendar's hours
// and paced). A request that is not waiting is left alone.
func (s *Service) DialNow(ctx context.Context, id string) error {
	rid, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return fmt.Errorf("callback id %q is not a number", id)
	}
	if s.jobs == nil {
		return errors.New("callback: no job client: call SetJobClient with the River client first")
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var state string
		err := tx.QueryRow(ctx, `SELECT state FROM callback_request WHERE id = $1 FOR UPDATE`, rid).Scan(&state)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("callback %d does not exist", rid)
		}
		if err != nil || state != "waiting" {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE callback_request SET eta = $2 WHERE id = $1`, rid, s.now()); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT id FROM river_job WHERE kind = $1 AND state = 'scheduled' AND (args->>'request_id')::bigint = $2`,
			DialArgs{}.Kind(), rid)
		if err != nil {
			return fmt.Errorf("find callback %d's job: %w", rid, err)
		}
		jobs, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return fmt.Errorf("find callback %d's job: %w", rid, err)
		}
		for _, j := range jobs {
			if _, err := s.jobs.JobRetryTx(ctx, tx, j); err != nil {
				return fmt.Errorf("bring callback %d forward: %w", rid, err)
			}
		}
		return nil
	})
}
