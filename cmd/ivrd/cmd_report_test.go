package main

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/sms"
	"github.com/ivrd/ivrd/store/pgtest"
)

func TestReportPromotionsPrintsConversionPerVariant(t *testing.T) {
	url := pgtest.NewMigratedDatabase(t, ivr.QueueMigrations, sms.Migrations)
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, url)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	st := ivr.NewPromotionStore(pool)
	at := time.Now().Add(-time.Hour)
	for _, x := range []ivr.PromotionExposure{
		{CallID: "a1", Queue: "cards", Caller: "+15550000001", Variant: "A", Heard: []string{"text_service"}, Outcome: ivr.QueueText, PressedText: true, At: at},
		{CallID: "a2", Queue: "cards", Caller: "+15550000002", Variant: "A", Outcome: ivr.QueueAnswered, At: at},
		{CallID: "b1", Queue: "cards", Caller: "+15550000003", Variant: "B", Heard: []string{"hold_offer"}, Outcome: ivr.QueueCallback, AskedCallback: true, At: at},
	} {
		require.NoError(t, st.RecordPromotion(ctx, x))
	}
	_, err = pool.Exec(ctx, `INSERT INTO sms_inbound (gateway, gateway_message_id, from_number, to_number, body, received_at)
		VALUES ('console', 'm1', '+15550000002', '5000', 'HELP', now())`)
	require.NoError(t, err)

	code, out, stderr := runCmd(t, "report", "promotions", "--database", url, "--days", "3")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, out, "TEXTED WITHIN 3d")
	require.Regexp(t, `cards\s+A\s+2\s+1 \(50\.0%\)\s+1 \(50\.0%\)\s+0 \(0\.0%\)\s+1 \(50\.0%\)\s+text_service=1`, out)
	require.Regexp(t, `cards\s+B\s+1\s+1 \(100\.0%\)\s+0 \(0\.0%\)\s+1 \(100\.0%\)\s+0 \(0\.0%\)\s+hold_offer=1`, out)

	code, _, stderr = runCmd(t, "report", "promotions", "--database", url, "--days", "0")
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "--days must be more than 0")
}
