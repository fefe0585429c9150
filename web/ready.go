package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"sync"
)

// Names of the readiness checks the daemon registers.
const (
	CheckFreeSWITCH = "freeswitch" // at least one FreeSWITCH node has a working ESL connection
	CheckDatabase   = "database"   // PostgreSQL answers a ping
)

// CheckFunc reports whether a dependency is ready; it must return when ctx ends.
type CheckFunc func(ctx context.Context) error

type check struct {
	name string
	fn   CheckFunc
}

// AddCheck registers a readiness check that /readyz runs. Names must be unique.
func (s *Server) AddCheck(name string, fn CheckFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.checks {
		if c.name == name {
			panic("web: readiness check registered twice: " + name)
		}
	}
	s.checks = append(s.checks, check{name: name, fn: fn})
}

// ReadyReport is the JSON body of /readyz.
type ReadyReport struct {
	Ready    bool              `json:"ready"`
	Draining bool              `json:"draining,omitempty"`
	Failing  []string          `json:"failing,omitempty"` // names of the failing checks, sorted
	Errors   map[string]string `json:"errors,omitempty"`  // check name -> what failed
}

// Ready runs every readiness check concurrently under one deadline (Options.ReadyTimeout).
// A check still running at the deadline fails with the context's error.
func (s *Server) Ready(ctx context.Context) ReadyReport {
	ctx, cancel := context.WithTimeout(ctx, s.opts.ReadyTimeout)
	defer cancel()
	s.mu.Lock()
	checks := append([]check(nil), s.checks...)
	s.mu.Unlock()

	type result struct {
		name string
		err  error
	}
	results := make(chan result, len(checks))
	var wg sync.WaitGroup
	for _, c := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errc := make(chan error, 1)
			go func() { errc <- runCheck(ctx, c) }()
			select {
			case err := <-errc:
				results <- result{c.name, err}
			case <-ctx.Done():
				results <- result{c.name, fmt.Errorf("no answer before the deadline: %w", ctx.Err())}
			}
		}()
	}
	wg.Wait()
	close(results)

	rep := ReadyReport{Ready: true, Draining: s.draining.Load()}
	for r := range results {
		if r.err == nil {
			continue
		}
		rep.Ready = false
		rep.Failing = append(rep.Failing, r.name)
		if rep.Errors == nil {
			rep.Errors = map[string]string{}
		}
		rep.Errors[r.name] = r.err.Error()
	}
	sort.Strings(rep.Failing)
	if rep.Draining {
		rep.Ready = false
	}
	return rep
}

func runCheck(ctx context.Context, c check) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("check panicked: %v", p)
		}
	}()
	return c.fn(ctx)
}

func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	rep := s.Ready(r.Context())
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if !rep.Ready {
		w.WriteHeader(http.StatusServiceUnavailable)
		s.log.Warn("not ready", "failing", rep.Failing, "draining", rep.Draining)
	}
	_ = json.NewEncoder(w).Encode(rep)
}
