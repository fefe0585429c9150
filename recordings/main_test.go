package recordings

import (
	"testing"

	"github.com/ivrd/ivrd/store/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }
