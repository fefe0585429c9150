package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ivrd/ivrd/ivr"
)

func init() {
	// The queue engine's promotion exposures (ivr_queue_promotion).
	migrationSets = append(migrationSets, ivr.QueueMigrations)
	register(command{name: "report promotions", args: "[--since 720h] [--days 7] [--database URL]",
		summary: "conversion per queue promotion variant (A/B): text link, callback, texted the hotline within N days", run: runReportPromotions})
}

func runReportPromotions(ctx context.Context, env *cmdEnv, args []string) error {
	fs, db := callsFlags("ivrd report promotions", env)
	since := fs.Duration("since", 30*24*time.Hour, "report callers who waited in this period up to now")
	days := fs.Int("days", 7, "count a text to the hotline within this many days after the call as a conversion")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return flagError(err)
	}
	if len(pos) > 0 {
		return fmt.Errorf("unexpected argument %q: ivrd report promotions takes only flags", pos[0])
	}
	if *since <= 0 || *days <= 0 {
		return errors.New("--since and --days must be more than 0, e.g. --since 168h --days 7")
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	pool, err := db.open(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	now := time.Now()
	rows, err := ivr.NewPromotionStore(pool).Report(ctx, now.Add(-*since), now.Add(time.Minute), time.Duration(*days)*24*time.Hour)
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		fmt.Fprintf(env.stdout, "no callers waited in a queue in the last %s\n", *since)
		return nil
	}
	pct := func(n, of int) string {
		if of == 0 {
			return "-"
		}
		return fmt.Sprintf("%d (%.1f%%)", n, float64(n)*100/float64(of))
	}
	tw := tabwriter.NewWriter(env.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "QUEUE\tVARIANT\tCALLERS\tHEARD A PROMOTION\tPRESSED FOR TEXT\tASKED CALLBACK\tTEXTED WITHIN %dd\tPROMPTS HEARD\n", *days)
	for _, r := range rows {
		var prompts []string
		for p, n := range r.Prompts {
			prompts = append(prompts, fmt.Sprintf("%s=%d", p, n))
		}
		sort.Strings(prompts)
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n", r.Queue, r.Variant, r.Callers, pct(r.Heard, r.Callers),
			pct(r.PressedText, r.Callers), pct(r.AskedCallback, r.Callers), pct(r.TextedAfter, r.Callers), strings.Join(prompts, " "))
	}
	return tw.Flush()
}
