package recordings

import (
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
// about half a second, so tests do what production does and keep it loaded.
func testSphinx(t testing.TB) *Sphinx {
	t.Helper()
	sharedSphinxOnce.Do(func() {
		sharedSphinx, sharedSphinxErr = NewSphinx(OfflineConfig{Workers: 1}, nil)
	})
	require.NoError(t, sharedSphinxErr)
	return sharedSphinx
}
