package store_test

import (
	"context"
	"testing"

	"github.com/ivrd/ivrd/store"
	"github.com/ivrd/ivrd/store/pgtest"
)

// BenchmarkMigrateEmptyDatabase is a first start of ivrd: core, River and one set on an empty
// database (pgtest.NewPool avoids paying this per test by copying a migrated template).
func BenchmarkMigrateEmptyDatabase(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		pool, err := store.Open(ctx, pgtest.NewDatabase(b))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := store.Migrate(ctx, pool, widgets); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		pool.Close()
		b.StartTimer()
	}
}

// BenchmarkMigrateUpToDate is every later start: nothing to apply.
func BenchmarkMigrateUpToDate(b *testing.B) {
	ctx := context.Background()
	pool := pgtest.NewPool(b, widgets)
	for b.Loop() {
		if err := store.Migrate(ctx, pool, widgets); err != nil {
			b.Fatal(err)
		}
	}
}
