package ivr

import (
	"testing"

	"github.com/ivrd/ivrd/store/pgtest"
)

// TestMain stops the PostgreSQL test cluster that call record tests start (lazily).
func TestMain(m *testing.M) { pgtest.Main(m) }
