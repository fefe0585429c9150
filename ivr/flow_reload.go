package ivr

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// DefaultReloadDebounce is how long FlowReloader waits after the last change in the flows
// folder before it reloads: editors write a file in several steps (truncate, write, rename).
const DefaultReloadDebounce = 300 * time.Millisecond

// FlowReloader keeps a FlowSet in step with a folder of flow files (hot reload). Reload loads
// every flow of the folder with the flow language's loader (LoadFiles, the same checks as
// `ivrd flows lint`) and installs them in the set only when none has an error: a broken edit
// is refused, its errors (file:line:col) are logged and returned, and the last good flows
// keep serving. Calls in progress are not affected either way: each call keeps the *Flow it
// started with (see FlowSource).
//
// Watch reloads on every change in the folder (fsnotify, debounced); `ivrd serve` also calls
// Reload on SIGHUP.
type FlowReloader struct {
	dir string
	set *FlowSet
	cat *Catalog
	log *slog.Logger

	// Debounce is the quiet time after a change before reloading (default
	// DefaultReloadDebounce). Set it before Watch.
	Debounce time.Duration
	// OnReload, when set, is called after every reload attempt with its outcome (nil or the
	// error Reload returned). Set it before Watch.
	OnReload func(err error)

	mu sync.Mutex // one reload at a time
}

// NewFlowReloader returns a reloader that loads the flows of dir into set, checking the names
// they use against cat (nil: unchecked). log may be nil.
func NewFlowReloader(dir string, set *FlowSet, cat *Catalog, log *slog.Logger) *FlowReloader {
	if log == nil {
		log = slog.Default()
	}
	return &FlowReloader{dir: dir, set: set, cat: cat, log: log.With("component", "flows", "dir", dir)}
}

// Dir is the folder the reloader loads.
func (r *FlowReloader) Dir() string { return r.dir }

// Reload loads every flow of the folder and, when they all load without errors, replaces the
// set's flows with them (each with its file's ContentVersion). On errors the set is left as it
// was and the returned error is a *FlowError listing them; warnings are logged.
func (r *FlowReloader) Reload() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	versions, err := fileVersions(r.dir)
	if err != nil {
		r.log.Error("flows not reloaded; the flows loaded before keep serving", "err", err)
		return err
	}
	loaded, ds := LoadFiles(r.cat, r.dir)
	if ds.HasErrors() {
		ds.Sort()
		for _, d := range ds {
			if d.Severity == SevError {
				r.log.Error("flow error: "+d.String(), "file", d.Pos.File, "line", d.Pos.Line, "col", d.Pos.Col)
			}
		}
		ferr := ds.Err()
		r.log.Error("flows not reloaded: fix the errors above (ivrd flows lint "+r.dir+"); the flows loaded before keep serving",
			"errors", ds.Count(SevError), "serving", strings.Join(r.describe(), " "))
		return fmt.Errorf("flows in %s not reloaded, the last good ones keep serving:\n%w", r.dir, ferr)
	}
	for _, d := range ds {
		if d.Severity == SevWarning {
			r.log.Warn("flow warning: "+d.String(), "file", d.Pos.File)
		}
	}
	vfs := make([]VersionedFlow, 0, len(loaded.Flows))
	var changed []string
	for _, f := range loaded.Flows {
		v := versions[filepath.Clean(f.File)]
		if v == "" {
			v = "unknown"
		}
		if r.set.Version(f.Name) != v {
			changed = append(changed, f.Name+"@"+v)
		}
		vfs = append(vfs, VersionedFlow{Flow: f, Version: v})
	}
	var gone []string
	for _, n := range r.set.Names() {
		if loaded.ByName[n] == nil {
			gone = append(gone, n)
		}
	}
	r.set.Replace(vfs...)
	if len(changed) > 0 || len(gone) > 0 {
		r.log.Info("flows loaded; new calls use them, calls in progress finish on their version",
			"changed", strings.Join(changed, " "), "removed", strings.Join(gone, " "), "serving", strings.Join(r.describe(), " "))
	} else {
		r.log.Debug("flows reloaded, nothing changed")
	}
	return nil
}

// describe lists the set as name@version.
func (r *FlowReloader) describe() []string { return FlowVersions(r.set) }

// fileVersions reads every flow file of dir and returns its ContentVersion by path.
func fileVersions(dir string) (map[string]string, error) {
	files, err := flowFiles(dir)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(files))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read flow %s: %w", f, err)
		}
		out[filepath.Clean(f)] = ContentVersion(data)
	}
	return out, nil
}

// Watch reloads the flows whenever a flow file in the folder is written, created, renamed or
// removed, once the folder has been quiet for Debounce, until ctx ends. The folder is watched
// before Watch returns, so a change made right after is seen; wait blocks until the watching
// goroutine has stopped (after ctx ended). A folder that cannot be watched is an error at
// once. A failed reload is logged and keeps the last good flows; watching goes on.
func (r *FlowReloader) Watch(ctx context.Context) (wait func() error, err error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("watch flows in %s: %w", r.dir, err)
	}
	if err := w.Add(r.dir); err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("watch flows in %s: %w (does the folder exist?)", r.dir, err)
	}
	done := make(chan error, 1)
	go func() {
		defer w.Close()
		done <- r.watch(ctx, w)
	}()
	return func() error { return <-done }, nil
}

func (r *FlowReloader) watch(ctx context.Context, w *fsnotify.Watcher) error {
	debounce := r.Debounce
	if debounce <= 0 {
		debounce = DefaultReloadDebounce
	}
	r.log.Info("watching flows for changes")
	var timer *time.Timer
	var fire <-chan time.Time
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return errors.New("watch flows: fsnotify closed its event channel")
			}
			if !isFlowFile(filepath.Base(ev.Name)) || ev.Op == fsnotify.Chmod {
				continue
			}
			r.log.Debug("flow file changed", "file", ev.Name, "op", ev.Op.String())
			if timer == nil {
				timer = time.NewTimer(debounce)
			} else {
				if !timer.Stop() {
					select {
					case <-timer.C:
					default:
					}
				}
				timer.Reset(debounce)
			}
			fire = timer.C
		case err, ok := <-w.Errors:
			if !ok {
				return errors.New("watch flows: fsnotify closed its error channel")
			}
			r.log.Warn("watching flows: "+err.Error()+"; reloading to be safe", "err", err)
			r.reloadAndReport()
		case <-fire:
			fire = nil
			r.reloadAndReport()
		}
	}
}

func (r *FlowReloader) reloadAndReport() {
	err := r.Reload()
	if r.OnReload != nil {
		r.OnReload(err)
	}
}

// FlowVersions returns name -> version of the flows in set, sorted by name, for logs and
// status pages.
func FlowVersions(set *FlowSet) []string {
	names := set.Names()
	sort.Strings(names)
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = n + "@" + set.Version(n)
	}
	return out
}
