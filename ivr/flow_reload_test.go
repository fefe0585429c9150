package ivr

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// reloadFlow is a one-menu flow whose greeting names its version.
func reloadFlow(version string) string {
	return `flow: hotline
steps:
  start:
    menu:
      prompt: "This is version ` + version + `. Press 1."
      options:
        1: bye
      on_fail: bye
  bye:
    hangup:
`
}

// brokenFlow has an unknown step in a menu option: a lint error at a known line.
const brokenFlow = `flow: hotline
steps:
  start:
    menu:
      prompt: "Broken. Press 1."
      options:
        1: byee
  bye:
    hangup:
`

// heldChannel is a FakeChannel whose first menu waits until release is closed, so a test can
// keep a call in progress while the flows change.
type heldChannel struct {
	*FakeChannel
	reached chan struct{}
	release chan struct{}
	once    sync.Once
}

func (h *heldChannel) PlayAndGetDigits(ctx context.Context, req DigitsRequest) (DigitsResult, error) {
	h.once.Do(func() {
		close(h.reached)
		<-h.release
	})
	return h.FakeChannel.PlayAndGetDigits(ctx, req)
}

type reloadBundle struct {
	dir  string
	file string
	set  *FlowSet
	rl   *FlowReloader
	rt   *Runtime
}

func setupReload(t *testing.T) *reloadBundle {
	t.Helper()
	dir := t.TempDir()
	b := &reloadBundle{dir: dir, file: filepath.Join(dir, "hotline.yaml"), set: &FlowSet{}}
	require.NoError(t, os.WriteFile(b.file, []byte(reloadFlow("one")), 0o644))
	b.rl = NewFlowReloader(dir, b.set, &Catalog{SkipFileCheck: true}, nil)
	require.NoError(t, b.rl.Reload())
	var err error
	b.rt, err = NewRuntime(Config{Flows: b.set})
	require.NoError(t, err)
	return b
}

// call runs one call that presses 1 and returns its record and what the caller heard.
func (b *reloadBundle) call(id string) (*CallRecord, *FakeChannel) {
	ch := NewFakeChannel(id, "+15551230001", "5000", time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC), []CallerAction{{Press: "1"}})
	return b.rt.Run(context.Background(), ch, CallOptions{Flow: "hotline", Clock: ch}), ch
}

func TestFlowReloadNewCallsGetTheEditWhileACallInProgressStaysOnItsVersion(t *testing.T) {
	t.Parallel()
	b := setupReload(t)
	v1 := b.set.Version("hotline")
	require.Equal(t, ContentVersion([]byte(reloadFlow("one"))), v1)

	reloaded := make(chan error, 10)
	b.rl.Debounce = 20 * time.Millisecond
	b.rl.OnReload = func(err error) { reloaded <- err }
	ctx, cancel := context.WithCancel(context.Background())
	wait, err := b.rl.Watch(ctx)
	require.NoError(t, err)
	t.Cleanup(func() {
		cancel()
		require.NoError(t, wait())
	})

	// A call starts on version one and stays in its first menu.
	held := &heldChannel{
		FakeChannel: NewFakeChannel("call-old", "+15551230001", "5000", time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC), []CallerAction{{Press: "1"}}),
		reached:     make(chan struct{}), release: make(chan struct{}),
	}
	oldRec := make(chan *CallRecord, 1)
	go func() {
		oldRec <- b.rt.Run(context.Background(), held, CallOptions{Flow: "hotline", Clock: held.FakeChannel})
	}()
	<-held.reached

	// The designer saves version two (as editors do: a new file renamed over the old one).
	tmp := filepath.Join(b.dir, ".hotline.yaml.swp")
	require.NoError(t, os.WriteFile(tmp, []byte(reloadFlow("two")), 0o644))
	require.NoError(t, os.Rename(tmp, b.file))
	require.NoError(t, waitReload(t, reloaded))
	v2 := b.set.Version("hotline")
	require.Equal(t, ContentVersion([]byte(reloadFlow("two"))), v2)

	rec, ch := b.call("call-new")
	require.Equal(t, v2, rec.FlowVersion)
	require.Equal(t, []string{"say: This is version two. Press 1."}, ch.Heard())

	close(held.release)
	old := <-oldRec
	require.Equal(t, v1, old.FlowVersion)
	require.Equal(t, []string{"say: This is version one. Press 1."}, held.Heard())
	require.Equal(t, "start bye", strings.Join(old.Steps(), " "))
}

func TestFlowReloadRefusesABrokenEditAndKeepsTheLastGoodFlow(t *testing.T) {
	t.Parallel()
	b := setupReload(t)
	good := b.set.Version("hotline")

	reloaded := make(chan error, 10)
	b.rl.Debounce = 20 * time.Millisecond
	b.rl.OnReload = func(err error) { reloaded <- err }
	ctx, cancel := context.WithCancel(context.Background())
	wait, err := b.rl.Watch(ctx)
	require.NoError(t, err)
	t.Cleanup(func() {
		cancel()
		require.NoError(t, wait())
	})

	require.NoError(t, os.WriteFile(b.file, []byte(brokenFlow), 0o644))
	err = waitReload(t, reloaded)
	require.Error(t, err)
	var ferr *FlowError
	require.True(t, errors.As(err, &ferr), "want a *FlowError, got %T: %v", err, err)
	require.Contains(t, err.Error(), b.file+":7:")
	require.Contains(t, err.Error(), `"byee"`)
	require.Contains(t, err.Error(), "last good ones keep serving")

	require.Equal(t, good, b.set.Version("hotline"))
	rec, ch := b.call("call-after-broken-edit")
	require.Equal(t, good, rec.FlowVersion)
	require.Equal(t, []string{"say: This is version one. Press 1."}, ch.Heard())

	// Fixing the file is picked up again.
	require.NoError(t, os.WriteFile(b.file, []byte(reloadFlow("three")), 0o644))
	require.NoError(t, waitReload(t, reloaded))
	rec, _ = b.call("call-after-fix")
	require.Equal(t, ContentVersion([]byte(reloadFlow("three"))), rec.FlowVersion)
}

// The SIGHUP path: `ivrd serve` calls Reload directly.
func TestFlowReloadOnDemandLikeSIGHUP(t *testing.T) {
	t.Parallel()
	b := setupReload(t)
	require.NoError(t, os.WriteFile(b.file, []byte(reloadFlow("two")), 0o644))
	require.Equal(t, ContentVersion([]byte(reloadFlow("one"))), b.set.Version("hotline"), "nothing reloads before it is asked")
	require.NoError(t, b.rl.Reload())
	rec, ch := b.call("call-after-hup")
	require.Equal(t, ContentVersion([]byte(reloadFlow("two"))), rec.FlowVersion)
	require.Equal(t, []string{"say: This is version two. Press 1."}, ch.Heard())

	require.NoError(t, os.WriteFile(b.file, []byte(brokenFlow), 0o644))
	require.Error(t, b.rl.Reload())
	require.Equal(t, ContentVersion([]byte(reloadFlow("two"))), b.set.Version("hotline"))

	// A flow file removed from the folder is gone for new calls.
	require.NoError(t, os.WriteFile(b.file, []byte(reloadFlow("two")), 0o644))
	other := filepath.Join(b.dir, "other.yaml")
	require.NoError(t, os.WriteFile(other, []byte(strings.Replace(reloadFlow("x"), "flow: hotline", "flow: other", 1)), 0o644))
	require.NoError(t, b.rl.Reload())
	require.Equal(t, []string{"hotline", "other"}, b.set.Names())
	require.NoError(t, os.Remove(other))
	require.NoError(t, b.rl.Reload())
	require.Equal(t, []string{"hotline"}, b.set.Names())
}

// waitReload waits for the watcher's next reload (the test's deadline bounds it).
func waitReload(t *testing.T, reloaded <-chan error) error {
	t.Helper()
	select {
	case err := <-reloaded:
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("the flows were not reloaded after the file changed")
		return nil
	}
}

func TestFlowReloadWatchOfAMissingFolderSaysSo(t *testing.T) {
	t.Parallel()
	rl := NewFlowReloader(filepath.Join(t.TempDir(), "nope"), &FlowSet{}, nil, nil)
	_, err := rl.Watch(context.Background())
	require.ErrorContains(t, err, "does the folder exist?")
	require.ErrorContains(t, rl.Reload(), "nope")
}
