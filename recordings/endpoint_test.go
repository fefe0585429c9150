package recordings

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestEndpointTokenComesFromEnvOrFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "token")
	require.NoError(t, os.WriteFile(file, []byte("from-file\n"), 0o600))
	t.Setenv("IVRD_TEST_QA_TOKEN", "from-env")
	t.Setenv("IVRD_TEST_EMPTY", "")

	tok, err := Endpoint{TokenEnv: "IVRD_TEST_QA_TOKEN", TokenFile: file}.token()
	require.NoError(t, err)
	require.Equal(t, "from-env", tok, "the environment wins")

	tok, err = Endpoint{TokenEnv: "IVRD_TEST_EMPTY", TokenFile: file}.token()
	require.NoError(t, err)
	require.Equal(t, "from-file", tok, "an empty variable falls back to the file, trimmed")

	_, err = Endpoint{TokenEnv: "IVRD_TEST_EMPTY"}.token()
	require.True(t, isPermanent(err), "a missing token is not worth retrying")
	require.ErrorContains(t, err, "token variable IVRD_TEST_EMPTY is empty")

	tok, err = Endpoint{}.token()
	require.NoError(t, err)
	require.Empty(t, tok, "no token configured: no Authorization header")
}

func TestRedactURLHidesPasswords(t *testing.T) {
	t.Parallel()
	require.Equal(t, "https://***@qa.example/upload", redactURL("https://user:secret@qa.example/upload"))
	require.Equal(t, "https://qa.example/a@b", redactURL("https://qa.example/a@b"))
}
