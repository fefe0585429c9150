package sms

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Status is where a text is.
type Status string

// The statuses of a text.
const (
	StatusQueued    Status = "queued"
	StatusSending   Status = "sending"
	StatusSent      Status = "sent"
	StatusDelivered Status = "delivered"
	StatusFailed    Status = "failed"
)

// ErrUnknownText is returned for a delivery report about a text ivrd does not know.
var ErrUnknownText = errors.New("no such text")

// OutboundRecord is the stored record of one text.
type OutboundRecord struct {
	ID               int64
	Key              string
	Purpose          string
	To, From, Body   string
	Status           Status
	Reason           string
	Gateway          string
	GatewayMessageID string
	Attempts         int
	Segments         int
	Encoding         Encoding
	CreatedAt        time.Time
	SendAfter        time.Time
	SentAt           *time.Time
	DeliveredAt      *time.Time
}

// Record returns the stored record of text id.
func (s *Sender) Record(ctx context.Context, id int64) (OutboundRecord, error) {
	var r OutboundRecord
	var gid *string
	err := s.pool.QueryRow(ctx, `SELECT id, unique_key, purpose, to_number, from_number, body, status, reason, gateway,
		gateway_message_id, attempts, segments, encoding, created_at, send_after, sent_at, delivered_at FROM sms_outbound WHERE id = $1`, id).
		Scan(&r.ID, &r.Key, &r.Purpose, &r.To, &r.From, &r.Body, &r.Status, &r.Reason, &r.Gateway, &gid, &r.Attempts,
			&r.Segments, &r.Encoding, &r.CreatedAt, &r.SendAfter, &r.SentAt, &r.DeliveredAt)
	if err != nil {
		return OutboundRecord{}, fmt.Errorf("load text %d: %w", id, err)
	}
	if gid != nil {
		r.GatewayMessageID = *gid
	}
	return r, nil
}

// statusUpdateWhere moves a text forward only: queued/sending -> sent -> delivered or failed.
// A text marked failed because a crash interrupted its send may still be proven sent by a
// report. $1 text id; $2 new status; $3 reason; $4 time.
const statusUpdateWhere = ` AND (status IN ('queued', 'sending')
	OR (status = 'sent' AND $2 IN ('delivered', 'failed'))
	OR (status = 'failed' AND reason LIKE '` + reasonInterrupted + `%' AND $2 IN ('sent', 'delivered')))`

const statusUpdateSet = `UPDATE sms_outbound SET status = $2,
	reason = CASE WHEN $3 <> '' THEN $3 ELSE reason END,
	sent_at = CASE WHEN $2 IN ('sent', 'delivered') THEN coalesce(sent_at, $4) ELSE sent_at END,
	delivered_at = CASE WHEN $2 = 'delivered' THEN $4 ELSE delivered_at END,
	updated_at = now()`

// updateStatusByID applies a delivery report to text id. It returns ErrUnknownText when no
// such text exists; a report that would move a text backwards is ignored.
func (s *Sender) updateStatusByID(ctx context.Context, id int64, st Status, reason string) error {
	tag, err := s.pool.Exec(ctx, statusUpdateSet+` WHERE id = $1`+statusUpdateWhere, id, string(st), reason, s.now())
	if err != nil {
		return fmt.Errorf("update status of text %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return s.checkExists(ctx, `SELECT EXISTS (SELECT 1 FROM sms_outbound WHERE id = $1)`, id)
	}
	return nil
}

// updateStatusByGatewayID applies a status callback naming the gateway's message id.
func (s *Sender) updateStatusByGatewayID(ctx context.Context, gateway, gatewayID string, st Status, reason string) error {
	var id int64
	err := s.pool.QueryRow(ctx, `SELECT id FROM sms_outbound WHERE gateway = $1 AND gateway_message_id = $2`, gateway, gatewayID).Scan(&id)
	if err != nil {
		return fmt.Errorf("%s message %s: %w", gateway, gatewayID, ErrUnknownText)
	}
	return s.updateStatusByID(ctx, id, st, reason)
}

func (s *Sender) checkExists(ctx context.Context, q string, arg any) error {
	var ok bool
	if err := s.pool.QueryRow(ctx, q, arg).Scan(&ok); err != nil {
		return fmt.Errorf("look up text: %w", err)
	}
	if !ok {
		return ErrUnknownText
	}
	return nil
}
