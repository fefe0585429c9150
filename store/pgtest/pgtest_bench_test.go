package pgtest_test

import (
	"testing"

	"github.com/ivrd/ivrd/store/pgtest"
)

// BenchmarkNewPool is the time a test waits for a fresh database with core and River
// migrations (a copy of the binary's migrated template) and a pool on it.
func BenchmarkNewPool(b *testing.B) {
	pgtest.NewPool(b) // start the cluster and build the template outside the timing
	b.ResetTimer()
	for b.Loop() {
		pgtest.NewPool(b)
	}
}

// BenchmarkNewDatabase is the time to create an empty database.
func BenchmarkNewDatabase(b *testing.B) {
	pgtest.NewDatabase(b)
	b.ResetTimer()
	for b.Loop() {
		pgtest.NewDatabase(b)
	}
}
