package sms

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrOptedOut is returned when a text is refused because the number said STOP.
var ErrOptedOut = errors.New("the number has opted out (texted STOP); it gets no texts until it texts START")

// OptOuts is the opt-out table every send path checks. Package callback uses it too.
type OptOuts struct {
	pool *pgxpool.Pool
}

// NewOptOuts returns the opt-out table of the database behind pool.
func NewOptOuts(pool *pgxpool.Pool) *OptOuts { return &OptOuts{pool: pool} }

// IsOptedOut reports whether the E.164 number has opted out.
func (o *OptOuts) IsOptedOut(ctx context.Context, number string) (bool, error) {
	return isOptedOut(ctx, o.pool, number)
}

// OptOut records that number said STOP (source says where: "sms:kannel", "api", ...).
func (o *OptOuts) OptOut(ctx context.Context, number, source string) error {
	_, err := o.pool.Exec(ctx, optOutSQL, number, source)
	if err != nil {
		return fmt.Errorf("opt out %s: %w", number, err)
	}
	return nil
}

// OptIn removes number's opt-out (START).
func (o *OptOuts) OptIn(ctx context.Context, number string) error {
	if _, err := o.pool.Exec(ctx, optInSQL, number); err != nil {
		return fmt.Errorf("opt in %s: %w", number, err)
	}
	return nil
}

const (
	optOutSQL = `INSERT INTO sms_optout (number, source) VALUES ($1, $2) ON CONFLICT (number) DO NOTHING`
	optInSQL  = `DELETE FROM sms_optout WHERE number = $1`
)

type rowQuerier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func isOptedOut(ctx context.Context, q rowQuerier, number string) (bool, error) {
	var out bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM sms_optout WHERE number = $1)`, number).Scan(&out); err != nil {
		return false, fmt.Errorf("check opt-out of %s: %w", number, err)
	}
	return out, nil
}
