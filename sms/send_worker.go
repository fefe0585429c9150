package sms

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
)

// SendArgs is the River job that hands one recorded text to the gateway.
type SendArgs struct {
	OutboundID int64 `json:"outbound_id"`
}

// Kind implements river.JobArgs.
func (SendArgs) Kind() string { return "sms_send" }

// reasonInterrupted starts the reason of a text whose send was interrupted (crash) after it
// was handed to the gateway: it is not resent, since the gateway may have taken it.
const reasonInterrupted = "interrupted while handing the text to the gateway"

// SendWorker sends recorded texts. The send record makes it idempotent: a text already sent
// is never handed to the gateway again, whatever River retries.
type SendWorker struct {
	river.WorkerDefaults[SendArgs]
	s *Sender
}

// NextRetry backs off exponentially from sms.retry.backoff up to sms.retry.max_backoff.
func (w *SendWorker) NextRetry(job *river.Job[SendArgs]) time.Time {
	d := w.s.cfg.Retry.Backoff
	for i := 1; i < job.Attempt && d < w.s.cfg.Retry.MaxBackoff; i++ {
		d *= 2
	}
	return time.Now().Add(min(d, w.s.cfg.Retry.MaxBackoff))
}

// Work implements river.Worker.
func (w *SendWorker) Work(ctx context.Context, job *river.Job[SendArgs]) error {
	return w.s.deliver(ctx, job.Args.OutboundID, job.Attempt >= job.MaxAttempts)
}

// deliver hands text id to the gateway once. lastAttempt turns a retryable failure into a
// final one.
func (s *Sender) deliver(ctx context.Context, id int64, lastAttempt bool) error {
	var msg Message
	var status, purpose string
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT status, purpose, to_number, from_number, body FROM sms_outbound WHERE id = $1 FOR UPDATE`, id).
			Scan(&status, &purpose, &msg.To, &msg.From, &msg.Text)
		if err != nil {
			return fmt.Errorf("load text %d: %w", id, err)
		}
		switch status {
		case "sent", "delivered", "failed":
			return nil
		case "sending":
			_, err := tx.Exec(ctx, `UPDATE sms_outbound SET status = 'failed', reason = $2, updated_at = now() WHERE id = $1`,
				id, reasonInterrupted+"; not resent to avoid a duplicate (a delivery report will correct the status)")
			status = "failed"
			return err
		}
		if purpose != PurposeConfirm {
			out, err := isOptedOut(ctx, tx, msg.To)
			if err != nil {
				return err
			}
			if out {
				status = "failed"
				_, err := tx.Exec(ctx, `UPDATE sms_outbound SET status = 'failed', reason = 'opted out before sending', updated_at = now() WHERE id = $1`, id)
				if err == nil {
					s.count(false, purpose)
				}
				return err
			}
		}
		_, err = tx.Exec(ctx, `UPDATE sms_outbound SET status = 'sending', attempts = attempts + 1, updated_at = now() WHERE id = $1`, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("prepare text %d: %w", id, err)
	}
	if status != "queued" {
		return nil
	}
	msg.ID = strconv.FormatInt(id, 10)
	gwID, sendErr := s.gw.Send(ctx, msg)

	// Record the outcome even when ctx has ended: the gateway may have taken the text.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if sendErr == nil {
		_, err := s.pool.Exec(rctx, `UPDATE sms_outbound SET gateway = $2, gateway_message_id = $3,
			status = CASE WHEN status IN ('queued', 'sending') THEN 'sent' ELSE status END,
			sent_at = coalesce(sent_at, $4), reason = '', updated_at = now() WHERE id = $1`, id, s.gw.Name(), gwID, s.now())
		if err != nil {
			return fmt.Errorf("text %d was accepted by %s as %s but recording that failed: %w", id, s.gw.Name(), gwID, err)
		}
		s.log.Info("text sent", "id", id, "gateway", s.gw.Name(), "gateway_id", gwID)
		s.count(true, purpose)
		return nil
	}
	if IsRetryable(sendErr) && !lastAttempt {
		if _, err := s.pool.Exec(rctx, `UPDATE sms_outbound SET status = 'queued', reason = $2, updated_at = now() WHERE id = $1 AND status = 'sending'`,
			id, sendErr.Error()); err != nil {
			return errors.Join(sendErr, fmt.Errorf("record retry of text %d: %w", id, err))
		}
		s.log.Warn("text not sent; will retry", "id", id, "err", sendErr)
		return fmt.Errorf("send text %d: %w", id, sendErr)
	}
	if _, err := s.pool.Exec(rctx, `UPDATE sms_outbound SET status = 'failed', reason = $2, updated_at = now() WHERE id = $1 AND status = 'sending'`,
		id, sendErr.Error()); err != nil {
		return fmt.Errorf("record failure of text %d (%v): %w", id, sendErr, err)
	}
	s.log.Error("text failed", "id", id, "err", sendErr)
	s.count(false, purpose)
	return nil
}

// count records a text sent or failed for good in the metrics, if any.
func (s *Sender) count(sent bool, purpose string) {
	if s.met == nil {
		return
	}
	if sent {
		s.met.TextsSent.WithLabelValues(s.gw.Name(), purpose).Inc()
	} else {
		s.met.TextsFailed.WithLabelValues(s.gw.Name(), purpose).Inc()
	}
}
