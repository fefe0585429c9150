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
	// A process that has exited stands for a test binary killed before it could clean up.
	gone := exec.Command("true")
	require.NoError(t, gone.Run())
	leftover, err := startCluster(ctx, gone.Process.Pid)
	require.NoError(t, err)
	t.Cleanup(func() { _ = leftover.stop(context.Background()) })
	leftover.admin.Close()
	pidFile, err := os.ReadFile(filepath.Join(leftover.dataDir, "postmaster.pid"))
	require.NoError(t, err)
	postmaster, err := strconv.Atoi(strings.SplitN(string(pidFile), "\n", 2)[0])
	require.NoError(t, err)
	require.True(t, running(postmaster))

	// A folder of this (live) binary must survive the sweep.
	live, err := os.MkdirTemp("", dirPrefix+strconv.Itoa(os.Getpid())+"-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(live) })

	sweepLeftovers(ctx, leftover.bin, leftover.cred)

	require.NoDirExists(t, leftover.dir)
	require.False(t, running(postmaster), "the leftover postmaster still runs")
	require.DirExists(t, live)
}
