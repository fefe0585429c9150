package callback

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/ivrd/ivrd/esl"
	"github.com/ivrd/ivrd/sms"
)

// DialArgs is the River job of one attempt of one request.
type DialArgs struct {
	RequestID int64 `json:"request_id"`
	Attempt   int   `json:"attempt"`
}

// Kind implements river.JobArgs.
func (DialArgs) Kind() string { return "callback_dial" }

// DialWorker places the call of one attempt.
type DialWorker struct {
	river.WorkerDefaults[DialArgs]
	s *Service
}

// Timeout bounds one attempt (Service.JobTimeout).
func (w *DialWorker) Timeout(*river.Job[DialArgs]) time.Duration { return w.s.JobTimeout() }

// Work implements river.Worker. Errors are retried by River; when its last try fails too,
// the request ends (reason gave_up) rather than wait forever.
func (w *DialWorker) Work(ctx context.Context, job *river.Job[DialArgs]) error {
	err := w.s.dial(ctx, job.Args.RequestID, job.Args.Attempt)
	var snooze *rivertype.JobSnoozeError
	if err == nil || errors.As(err, &snooze) || job.Attempt < job.MaxAttempts {
		return err
	}
	w.s.log.Error("callback given up after the job's last try", "id", job.Args.RequestID, "attempt", job.Args.Attempt, "err", err)
	if ferr := w.s.giveUp(context.WithoutCancel(ctx), job.Args.RequestID, job.Args.Attempt, err); ferr != nil {
		return errors.Join(err, ferr)
	}
	return err
}

// giveUp ends a request whose dial job failed for good: an attempt left dialing becomes
// unknown; the customer gets the we-tried text.
func (s *Service) giveUp(ctx context.Context, id int64, n int, cause error) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var r request
	err := s.pool.QueryRow(ctx, `SELECT id, number, state, lang FROM callback_request WHERE id = $1`, id).Scan(&r.id, &r.number, &r.state, &r.lang)
	if err != nil || (r.state != "waiting" && r.state != "dialing") {
		return err
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE callback_attempt SET state = 'unknown', detail = $3, ended_at = $4
			WHERE request_id = $1 AND attempt = $2 AND state = 'dialing'`, id, n, cause.Error(), s.now()); err != nil {
			return err
		}
		return s.finishTx(ctx, tx, r, "failed", ReasonGaveUp, cause.Error(), true)
	})
}

// Channel variables set on every callback leg.
const (
	VarFlow     = "ivrd_flow"        // the flow the daemon runs on the answered call
	VarID       = "ivrd_callback_id" // the request id
	VarAttempt  = "ivrd_callback_attempt"
	VarQueue    = "ivrd_callback_queue"
	VarTopic    = "ivrd_callback_reason"
	VarLanguage = "ivrd_language"
)

// Attempt states.
const (
	attemptDialing  = "dialing"
	attemptAnswered = "answered"
	attemptFailed   = "failed"
	attemptUnknown  = "unknown"
	attemptNotSent  = "not_sent"
)

type request struct {
	id                  int64
	number, state, lang string
	queue, topic        string
	priority, position  int
	deadline            time.Time
}

// stopCauses end a request at once: the number cannot be reached by trying again.
var stopCauses = map[esl.Cause]bool{
	esl.CauseUnallocatedNumber: true, esl.CauseInvalidNumberFormat: true, esl.CauseNumberChanged: true,
	esl.CauseNoRouteDestination: true, esl.CauseIncompatibleDestination: true,
}

// dial runs attempt n of request id: reconcile a crashed attempt, or pace, write the attempt,
// originate, and record what happened.
func (s *Service) dial(ctx context.Context, id int64, n int) error {
	var r request
	err := s.pool.QueryRow(ctx, `SELECT id, number, state, lang, queue, topic, priority, position, deadline
		FROM callback_request WHERE id = $1`, id).
		Scan(&r.id, &r.number, &r.state, &r.lang, &r.queue, &r.topic, &r.priority, &r.position, &r.deadline)
	if err != nil {
		return fmt.Errorf("load callback %d: %w", id, err)
	}
	var astate, auuid, anode string
	err = s.pool.QueryRow(ctx, `SELECT state, uuid, node FROM callback_attempt WHERE request_id = $1 AND attempt = $2`, id, n).
		Scan(&astate, &auuid, &anode)
	switch {
	case err == nil && astate == attemptDialing:
		return s.reconcile(ctx, r, n, auuid, anode)
	case err == nil && astate != attemptNotSent:
		return nil // done before; what followed was committed with it
	case err != nil && !errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("load callback %d attempt %d: %w", id, n, err)
	}
	if r.state != "waiting" && r.state != "dialing" {
		return nil
	}
	now := s.now()
	if now.After(r.deadline) {
		return s.finish(ctx, r, ReasonDeadline, "the deadline passed before attempt "+strconv.Itoa(n), true)
	}
	if s.opts.OptOuts != nil {
		out, err := s.opts.OptOuts.IsOptedOut(ctx, r.number)
		if err != nil {
			return fmt.Errorf("callback %d: %w", id, err)
		}
		if out {
			return s.finish(ctx, r, ReasonOptedOut, r.number+" texted STOP after asking", false)
		}
	}
	if next, ok := s.nextOpen(now); !ok || next.After(now) {
		if !ok || next.After(r.deadline) {
			return s.finish(ctx, r, ReasonDeadline, "the calendar does not open again before the deadline", true)
		}
		return river.JobSnooze(next.Sub(now))
	}
	nodes := s.opts.Nodes
	if nodes == nil {
		return errors.New("callback: no FreeSWITCH nodes (Options.Nodes): cannot dial")
	}
	if err := s.pacer.Wait(ctx); err != nil {
		return fmt.Errorf("callback %d: pacing: %w", id, err)
	}
	node, release, err := s.pacer.Acquire(ctx, nodes.Names(), nodes.Free)
	if err != nil {
		return fmt.Errorf("callback %d: %w", id, err)
	}
	defer release()
	client, _ := nodes.Client(node)

	var agentUUID string
	if s.cfg.Mode == ModeAgentFirst {
		if agentUUID, err = s.reserveAgent(ctx, client, r, n); err != nil {
			s.log.Info("callback waits: no agent answered", "id", id, "attempt", n, "err", err)
			return river.JobSnooze(s.cfg.Backoff)
		}
	}
	uuid := newUUID()
	var wrote int64
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO callback_attempt (request_id, attempt, uuid, node, state, started_at)
			VALUES ($1, $2, $3, $4, 'dialing', $5)
			ON CONFLICT (request_id, attempt) DO UPDATE SET uuid = excluded.uuid, node = excluded.node, state = 'dialing',
				started_at = excluded.started_at, detail = '' WHERE callback_attempt.state = 'not_sent'`, id, n, uuid, node, now)
		if err != nil {
			return err
		}
		if wrote = tag.RowsAffected(); wrote == 0 {
			return nil
		}
		_, err = tx.Exec(ctx, `UPDATE callback_request SET state = 'dialing', attempts = $2 WHERE id = $1`, id, n)
		return err
	})
	if err != nil || wrote == 0 {
		if agentUUID != "" {
			_ = client.Hangup(context.WithoutCancel(ctx), agentUUID, esl.CauseOriginatorCancel)
		}
		if err != nil {
			return fmt.Errorf("record callback %d attempt %d: %w", id, n, err)
		}
		return nil
	}
	req := esl.OriginateRequest{
		Dial: s.cfg.dialString(r.number), UUID: uuid, Timeout: s.cfg.RingTimeout,
		CallerIDNumber: s.cfg.CallerID, CallerIDName: s.cfg.CallerIDName,
		Vars: map[string]string{VarID: strconv.FormatInt(id, 10), VarAttempt: strconv.Itoa(n)},
	}
	if agentUUID != "" {
		req.App = "&park()"
	} else {
		req.Vars[VarFlow] = s.cfg.Flow
		req.Vars[VarQueue] = firstNonEmpty(r.queue, s.cfg.Queue)
		if r.topic != "" {
			req.Vars[VarTopic] = r.topic
		}
		if r.lang != "" {
			req.Vars[VarLanguage] = r.lang
		}
		switch {
		case s.cfg.Extension != "":
			req.App = s.cfg.Extension
		case s.cfg.Socket != "":
			req.App = "&socket(" + s.cfg.Socket + " async full)"
		default:
			req.App = "&park()"
		}
	}
	for k, v := range req.Vars {
		if strings.ContainsAny(v, ",'{}[]\r\n") {
			req.Vars[k] = strings.Map(func(c rune) rune {
				if strings.ContainsRune(",'{}[]\r\n", c) {
					return ' '
				}
				return c
			}, v)
		}
	}
	s.log.Info("callback dialing", "id", id, "attempt", n, "node", node, "uuid", uuid, "number", r.number)
	// The result comes at answer or within the ring time; a node that dies takes it with it,
	// and waiting for it longer (the job's timeout) only keeps the request dialing.
	octx, cancel := context.WithTimeout(ctx, s.cfg.RingTimeout+30*time.Second)
	got, oerr := client.Originate(octx, req)
	cancel()
	if oerr != nil && ctx.Err() != nil {
		// The job was cancelled (ivrd stopping after its grace hands running jobs back): the
		// phone may still be ringing, so nothing is known yet. The attempt stays dialing and
		// the job's next run reconciles it (never dialed again).
		if agentUUID != "" {
			_ = client.Hangup(context.WithoutCancel(ctx), agentUUID, esl.CauseOriginatorCancel)
		}
		return fmt.Errorf("callback %d attempt %d: handed back while dialing (left to reconcile): %w", id, n, oerr)
	}
	if oerr == nil && agentUUID != "" {
		if _, err := client.API(ctx, "uuid_bridge "+agentUUID+" "+got); err != nil {
			s.log.Warn("callback answered but the agent bridge failed", "id", id, "err", err)
		}
	} else if oerr != nil && agentUUID != "" {
		_ = client.Hangup(context.WithoutCancel(ctx), agentUUID, esl.CauseOriginatorCancel)
	}
	return s.outcome(context.WithoutCancel(ctx), r, n, uuid, client, oerr)
}

// outcome records how attempt n ended and decides what comes next.
func (s *Service) outcome(ctx context.Context, r request, n int, uuid string, client *esl.Client, oerr error) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var oe *esl.OriginateError
	switch {
	case oerr == nil:
		return s.endAttempt(ctx, r, n, attemptAnswered, "", "", func(tx pgx.Tx) error {
			return s.finishTx(ctx, tx, r, "done", ReasonAnswered, "", false)
		})
	case errors.Is(oerr, esl.ErrOutcomeUnknown):
		// Wait a little for the node to answer (reconnecting), leaving time to record.
		ectx, cancel := context.WithTimeout(ctx, 10*time.Second)
		up, err := client.Exists(ectx, uuid)
		cancel()
		if err != nil && errors.Is(err, esl.ErrNotConnected) {
			// The node went away with the call and did not come back while we waited:
			// its channels are gone or out of reach. Not dialed again (it might have rung);
			// the request ends so that it is not left dialing for as long as River retries.
			return s.endAttempt(ctx, r, n, attemptUnknown, "", oerr.Error(), func(tx pgx.Tx) error {
				return s.finishTx(ctx, tx, r, "failed", ReasonUnknown, "FreeSWITCH "+client.Node().Name+" went away during the call; not dialed again", true)
			})
		}
		if err != nil {
			// Leave the attempt in dialing: the job's retry reconciles it.
			return fmt.Errorf("callback %d attempt %d: outcome unknown and uuid_exists failed: %w", r.id, n, err)
		}
		if up {
			return s.endAttempt(ctx, r, n, attemptAnswered, "", "reconciled: channel up", func(tx pgx.Tx) error {
				return s.finishTx(ctx, tx, r, "done", ReasonAnswered, "", false)
			})
		}
		return s.endAttempt(ctx, r, n, attemptUnknown, "", oerr.Error(), func(tx pgx.Tx) error {
			return s.finishTx(ctx, tx, r, "failed", ReasonUnknown, "the originate's result was lost; not dialed again", true)
		})
	case errors.As(oerr, &oe):
		cause := string(oe.Cause)
		if oe.Cause != "" && stopCauses[oe.Cause] {
			return s.endAttempt(ctx, r, n, attemptFailed, cause, oerr.Error(), func(tx pgx.Tx) error {
				return s.finishTx(ctx, tx, r, "failed", ReasonInvalidNumber, cause, false)
			})
		}
		return s.endAttempt(ctx, r, n, attemptFailed, cause, oerr.Error(), func(tx pgx.Tx) error {
			return s.retryTx(ctx, tx, r, n, cause)
		})
	default:
		// Not sent (no connection, FreeSWITCH refused the command): River tries again.
		if err := s.endAttempt(ctx, r, n, attemptNotSent, "", oerr.Error(), func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE callback_request SET state = 'waiting' WHERE id = $1`, r.id)
			return err
		}); err != nil {
			return err
		}
		return fmt.Errorf("callback %d attempt %d: %w", r.id, n, oerr)
	}
}

// retryTx schedules attempt n+1 after the backoff inside open hours, or ends the request when
// no attempt is left before the deadline.
func (s *Service) retryTx(ctx context.Context, tx pgx.Tx, r request, n int, cause string) error {
	if n >= s.cfg.MaxAttempts {
		return s.finishTx(ctx, tx, r, "failed", ReasonUnreached, fmt.Sprintf("%d attempts, last %s", n, cause), true)
	}
	next, ok := s.nextOpen(s.now().Add(s.cfg.backoff(n)))
	if !ok || next.After(r.deadline) {
		return s.finishTx(ctx, tx, r, "failed", ReasonDeadline, fmt.Sprintf("no attempt %d before the deadline (last %s)", n+1, cause), true)
	}
	if _, err := tx.Exec(ctx, `UPDATE callback_request SET state = 'waiting', eta = $2 WHERE id = $1`, r.id, next); err != nil {
		return fmt.Errorf("reschedule callback %d: %w", r.id, err)
	}
	return s.enqueue(ctx, tx, r.id, n+1, next, r.priority, r.position)
}

// endAttempt records the end of attempt n and runs then in the same transaction.
func (s *Service) endAttempt(ctx context.Context, r request, n int, state, cause, detail string, then func(pgx.Tx) error) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE callback_attempt SET state = $3, cause = $4, detail = $5, ended_at = $6
			WHERE request_id = $1 AND attempt = $2`, r.id, n, state, cause, detail, s.now()); err != nil {
			return err
		}
		return then(tx)
	})
	if err != nil {
		return fmt.Errorf("record callback %d attempt %d (%s %s): %w", r.id, n, state, cause, err)
	}
	s.log.Info("callback attempt ended", "id", r.id, "attempt", n, "state", state, "cause", cause)
	return nil
}

// finish ends a request outside an attempt.
func (s *Service) finish(ctx context.Context, r request, reason Reason, detail string, text bool) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		return s.finishTx(ctx, tx, r, "failed", reason, detail, text)
	})
}

// finishTx sets the request's final state; text queues the we-tried text.
func (s *Service) finishTx(ctx context.Context, tx pgx.Tx, r request, state string, reason Reason, detail string, text bool) error {
	if _, err := tx.Exec(ctx, `UPDATE callback_request SET state = $2, reason = $3, detail = $4, finished_at = $5 WHERE id = $1`,
		r.id, state, string(reason), detail, s.now()); err != nil {
		return fmt.Errorf("finish callback %d: %w", r.id, err)
	}
	if !text || s.opts.Texts == nil {
		return nil
	}
	body := s.cfg.FailedText[r.lang]
	if body == "" {
		body = s.cfg.FailedText["en"]
	}
	for _, v := range s.cfg.FailedText {
		if body == "" {
			body = v
		}
	}
	body = strings.ReplaceAll(body, "{{number}}", s.cfg.CallerID)
	sp, err := tx.Begin(ctx)
	if err != nil {
		return err
	}
	if _, err := s.opts.Texts.SendTx(ctx, sp, sms.Text{To: r.number, Key: fmt.Sprintf("callback:%d:failed", r.id),
		Purpose: sms.PurposeCallback, Body: body, Lang: r.lang}); err != nil {
		s.log.Warn("we-tried text not queued", "id", r.id, "err", err)
		return sp.Rollback(ctx)
	}
	return sp.Commit(ctx)
}

// reconcile settles an attempt left in dialing by a run that died: the channel is up (the
// call went through) or it is not (outcome unknown). It is never dialed again.
func (s *Service) reconcile(ctx context.Context, r request, n int, uuid, node string) error {
	if s.opts.Nodes == nil {
		return errors.New("callback: no FreeSWITCH nodes to reconcile with")
	}
	client, ok := s.opts.Nodes.Client(node)
	if !ok {
		return s.endAttempt(ctx, r, n, attemptUnknown, "", "node "+node+" is no longer configured", func(tx pgx.Tx) error {
			return s.finishTx(ctx, tx, r, "failed", ReasonUnknown, "attempt on a removed node", true)
		})
	}
	up, err := client.Exists(ctx, uuid)
	if err != nil {
		return fmt.Errorf("callback %d attempt %d: reconcile uuid_exists on %s: %w", r.id, n, node, err)
	}
	s.log.Info("callback attempt reconciled after a restart", "id", r.id, "attempt", n, "uuid", uuid, "up", up)
	if up {
		return s.endAttempt(ctx, r, n, attemptAnswered, "", "reconciled after restart: channel up", func(tx pgx.Tx) error {
			return s.finishTx(ctx, tx, r, "done", ReasonAnswered, "reconciled", false)
		})
	}
	return s.endAttempt(ctx, r, n, attemptUnknown, "", "reconciled after restart: no channel", func(tx pgx.Tx) error {
		return s.finishTx(ctx, tx, r, "failed", ReasonUnknown, "ivrd stopped during the call; not dialed again", true)
	})
}

// reserveAgent (agent-first) rings the agents in order and returns the first that answers,
// parked until the customer answers.
func (s *Service) reserveAgent(ctx context.Context, client *esl.Client, r request, n int) (string, error) {
	var errs []error
	for _, a := range s.cfg.Agents {
		uuid, err := client.Originate(ctx, esl.OriginateRequest{Dial: a, App: "&park()", Timeout: s.cfg.RingTimeout,
			CallerIDNumber: r.number, Vars: map[string]string{VarID: strconv.FormatInt(r.id, 10), VarAttempt: strconv.Itoa(n)}})
		if err == nil {
			return uuid, nil
		}
		if errors.Is(err, esl.ErrOutcomeUnknown) && uuid != "" {
			_ = client.Hangup(context.WithoutCancel(ctx), uuid, esl.CauseOriginatorCancel)
		}
		errs = append(errs, err)
	}
	return "", errors.Join(errs...)
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

// newUUID is a random version-4 UUID, the attempt's origination_uuid.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
