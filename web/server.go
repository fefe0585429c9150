package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ivrd/ivrd/metrics"
)

// Options configure a Server. Only Addr is required to Start.
type Options struct {
	// Addr is the listen address, e.g. "127.0.0.1:8080" (listen.http in ivrd.yaml).
	Addr string
	// Metrics is served on /metrics; nil makes a fresh metrics.New().
	Metrics *metrics.Metrics
	// Status feeds the status page; nil serves a page saying the runtime is not running.
	Status StatusSource
	// ReadyTimeout bounds all readiness checks of one /readyz request together (default 2s).
	ReadyTimeout time.Duration
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// MermaidScript, if set, is the URL of mermaid's ESM module; the status page then draws
	// flow graphs in the browser. Empty shows each graph's mermaid text instead (no network).
	MermaidScript string
}

// Server is ivrd's HTTP server. Its methods are safe for concurrent use.
type Server struct {
	opts    Options
	log     *slog.Logger
	mux     *http.ServeMux
	srv     *http.Server
	metrics *metrics.Metrics

	mu     sync.Mutex
	checks []check
	ln     net.Listener
	done   chan struct{} // closed when Serve returns
	serr   error         // Serve's error, other than ErrServerClosed

	draining atomic.Bool
}

// New builds a Server with /healthz, /readyz, /metrics and the status page mounted.
func New(opts Options) *Server {
	if opts.ReadyTimeout <= 0 {
		opts.ReadyTimeout = 2 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Metrics == nil {
		opts.Metrics = metrics.New()
	}
	s := &Server{opts: opts, log: opts.Logger, mux: http.NewServeMux(), metrics: opts.Metrics}
	s.mux.HandleFunc("GET /healthz", s.handleHealth)
	s.mux.HandleFunc("GET /readyz", s.handleReady)
	s.mux.Handle("GET /metrics", s.metrics.Handler())
	s.mux.HandleFunc("GET /{$}", s.handleStatus)
	s.mux.HandleFunc("GET /status", s.handleStatus)
	s.mux.HandleFunc("GET /status.json", s.handleStatusJSON)
	s.srv = &http.Server{
		Handler:           s.mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(opts.Logger.Handler(), slog.LevelWarn),
	}
	return s
}

// Metrics returns the metrics the server exports, for packages to record into.
func (s *Server) Metrics() *metrics.Metrics { return s.metrics }

// Mount serves h for pattern (net/http ServeMux syntax, e.g. "POST /sms/kannel" or
// "/api/callbacks/"). It panics, like ServeMux, if pattern conflicts with one already mounted:
// that is a programming error found at start-up.
func (s *Server) Mount(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// Handler returns the server's routes, for tests and for embedding behind another server.
func (s *Server) Handler() http.Handler { return s.mux }

// Start listens on Options.Addr and serves in the background. It returns once the listener is
// bound, so a port conflict is reported here, not later.
func (s *Server) Start(ctx context.Context) error {
	if s.opts.Addr == "" {
		return errors.New("web: no listen address (set listen.http in ivrd.yaml, e.g. 127.0.0.1:8080)")
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.opts.Addr)
	if err != nil {
		return fmt.Errorf("web: listen on %s: %w (is another ivrd running? change listen.http)", s.opts.Addr, err)
	}
	return s.Serve(ln)
}

// Serve serves on ln in the background; Start is Serve on a new listener.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		return errors.New("web: server already started")
	}
	s.ln = ln
	s.done = make(chan struct{})
	s.log.Info("http server listening", "addr", ln.Addr().String())
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("http server stopped", "err", err)
			s.mu.Lock()
			s.serr = err
			s.mu.Unlock()
		}
	}()
	return nil
}

// Addr is the address the server listens on (useful with port 0), or nil before Start.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// Drain makes /readyz answer 503 "draining" from now on, so load balancers stop sending new
// work, while everything else keeps serving. Call it first on SIGTERM.
func (s *Server) Drain() { s.draining.Store(true) }

// Shutdown stops accepting connections and waits for requests in flight until ctx ends; then
// it closes the rest. It returns the error that stopped serving early, if any.
func (s *Server) Shutdown(ctx context.Context) error {
	s.Drain()
	s.mu.Lock()
	done := s.done
	s.mu.Unlock()
	if done == nil {
		return nil
	}
	err := s.srv.Shutdown(ctx)
	if err != nil {
		err = errors.Join(fmt.Errorf("web: shutdown: %w", err), s.srv.Close())
	}
	<-done
	s.mu.Lock()
	defer s.mu.Unlock()
	return errors.Join(err, s.serr)
}

func (s *Server) handleHealth(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprintln(w, "ok")
}
