package pgtest

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"
)

// BenchmarkStartCluster is what the first test of a binary waits for: initdb and start.
func BenchmarkStartCluster(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		c, err := startCluster(ctx, baseDirs(), os.Getpid())
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := c.stop(ctx); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// BenchmarkCopyTemplateAndDrop is a migrated database's whole life in the cluster: copy the
// template, drop; create-ms and drop-ms split it.
func BenchmarkCopyTemplateAndDrop(b *testing.B) {
	c := getCluster(b)
	tpl, err := c.template(nil)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var create, drop time.Duration
	n := 0
	for i := 0; b.Loop(); i++ {
		n++
		name := fmt.Sprintf("bench_%d", i)
		t0 := time.Now()
		if _, err := c.admin.Exec(ctx, "create database "+name+" template "+tpl+" strategy file_copy"); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := c.admin.Exec(ctx, "drop database "+name+" with (force)"); err != nil {
			b.Fatal(err)
		}
		create += t1.Sub(t0)
		drop += time.Since(t1)
	}
	b.ReportMetric(float64(create.Milliseconds())/float64(n), "create-ms/op")
	b.ReportMetric(float64(drop.Milliseconds())/float64(n), "drop-ms/op")
}
