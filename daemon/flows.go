package daemon

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/ivrd/ivrd/config"
	"github.com/ivrd/ivrd/ivr"
)

// flowStore is where the daemon's flows come from: a folder (hot reloaded) or an embedded
// file system (fixed for the life of the process).
type flowStore struct {
	set      *ivr.FlowSet
	reloader *ivr.FlowReloader // nil for embedded flows
	where    string            // the folder, or "embedded" for embedded flows
}

// Catalog returns what flows may refer to from cfg: its calendars, queues and SMS templates.
// Sorts of names the config defines none of are left unchecked (nil).
func Catalog(cfg *config.Config) *ivr.Catalog {
	cat := &ivr.Catalog{Calendars: map[string]*ivr.Calendar{}}
	for name, cal := range cfg.Calendars {
		cat.Calendars[name] = cal
	}
	if len(cfg.Queues) > 0 {
		cat.Queues = map[string]bool{}
		for name := range cfg.Queues {
			cat.Queues[name] = true
		}
	}
	if len(cfg.SMS.Templates) > 0 {
		cat.Templates = map[string]bool{}
		for name := range cfg.SMS.Templates {
			cat.Templates[name] = true
		}
	}
	return cat
}

// FlowsDir resolves the flows folder of cfg: relative to the config file's folder when the
// config came from a file, else to the working folder.
func FlowsDir(cfg *config.Config) string {
	dir := cfg.Flows.Dir
	if dir == "" {
		dir = "flows"
	}
	if !filepath.IsAbs(dir) && cfg.Path != "" {
		dir = filepath.Join(filepath.Dir(cfg.Path), dir)
	}
	return dir
}

// loadFlows loads the flows from dir when it exists (watched later), else from embedded.
func loadFlows(dir string, embedded fs.FS, cat *ivr.Catalog, log *slog.Logger) (*flowStore, error) {
	set := &ivr.FlowSet{}
	st, err := os.Stat(dir)
	switch {
	case err == nil && st.IsDir():
		rl := ivr.NewFlowReloader(dir, set, cat, log)
		if err := rl.Reload(); err != nil {
			return nil, fmt.Errorf("load flows: %w\n(check them with: ivrd flows lint %s)", err, dir)
		}
		return &flowStore{set: set, reloader: rl, where: dir}, nil
	case err == nil:
		return nil, fmt.Errorf("flows.dir %s is a file; set it to the folder holding the flow files", dir)
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("flows folder %s: %w", dir, err)
	case embedded == nil:
		return nil, fmt.Errorf("flows folder %s does not exist; create it or set flows.dir in ivrd.yaml", dir)
	}
	ecat := *cat
	ecat.SkipFileCheck = true
	loaded, ds := ivr.LoadFS(embedded, ".", &ecat)
	if ds.HasErrors() {
		return nil, fmt.Errorf("load embedded flows: %w", ds.Err())
	}
	var vfs []ivr.VersionedFlow
	for _, f := range loaded.Flows {
		data, err := fs.ReadFile(embedded, f.File)
		if err != nil {
			return nil, fmt.Errorf("read embedded flow %s: %w", f.File, err)
		}
		vfs = append(vfs, ivr.VersionedFlow{Flow: f, Version: ivr.ContentVersion(data)})
	}
	set.Replace(vfs...)
	log.Info("flows loaded from the binary (no flows folder; edit copies in "+dir+"/ to change them)",
		"flows", strings.Join(ivr.FlowVersions(set), " "))
	return &flowStore{set: set, where: "embedded"}, nil
}
