package recordings

import (
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

var (
	sharedSphinxOnce sync.Once
	sharedSphinx     *Sphinx
	sharedSphinxErr  error
)

// testSphinx returns one transcriber shared by the package's tests: loading the model takes
// about half a second, so tests do what production does and keep it loaded. It has a decoder
// per core, so parallel tests decode at once.
func testSphinx(t testing.TB) *Sphinx {
	t.Helper()
	sharedSphinxOnce.Do(func() {
		sharedSphinx, sharedSphinxErr = NewSphinx(OfflineConfig{Workers: runtime.NumCPU()}, nil)
	})
	require.NoError(t, sharedSphinxErr)
	return sharedSphinx
}
