package pgtest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// running reports whether pid is a live process (not gone, not a zombie).
func running(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z"
}

func TestSweepStopsClustersOfKilledBinariesAndSparesLiveOnes(t *testing.T) {
	ctx := context.Background()
	// A base folder of its own, so the sweeps of other test binaries running now leave this
	// test's leftover alone.
	base, err := os.MkdirTemp(baseDirs()[0], "ivrd-sweeptest-")
	require.NoError(t, err)
	require.NoError(t, os.Chmod(base, 0o755)) // user postgres must reach the cluster inside
	t.Cleanup(func() { os.RemoveAll(base) })

	// A process that has exited stands for a test binary killed before it could clean up.
	gone := exec.Command("true")
	require.NoError(t, gone.Run())
	leftover, err := startCluster(ctx, []string{base}, gone.Process.Pid)
	require.NoError(t, err)
	t.Cleanup(func() { _ = leftover.stop(context.Background()) })
	leftover.admin.Close()
	pidFile, err := os.ReadFile(filepath.Join(leftover.dataDir, "postmaster.pid"))
	require.NoError(t, err)
	postmaster, err := strconv.Atoi(strings.SplitN(string(pidFile), "\n", 2)[0])
	require.NoError(t, err)
	require.True(t, running(postmaster))

	// A folder of this (live) binary must survive the sweep.
	live, err := os.MkdirTemp(base, dirPrefix+strconv.Itoa(os.Getpid())+"-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(live) })

	sweepLeftovers(ctx, []string{base}, leftover.pg)

	left, err := filepath.Glob(filepath.Join(base, dirPrefix+"*"))
	require.NoError(t, err)
	require.Equal(t, []string{live}, left, "only the live binary's folder is left")
	require.False(t, running(postmaster), "the leftover postmaster still runs")
}
