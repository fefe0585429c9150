package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ivrd/ivrd/config"
	"github.com/ivrd/ivrd/esl"
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/metrics"
	"github.com/ivrd/ivrd/recordings"
	"github.com/ivrd/ivrd/web"
)

// DefaultGrace is how long Stop lets calls in progress finish before hanging them up.
const DefaultGrace = 30 * time.Second

// Options are what a Daemon is built from. Only Config is required.
type Options struct {
	// Config is ivrd.yaml, loaded (config.Load), with environment overrides applied.
	Config *config.Config
	// Logger for everything (default slog.Default()).
	Logger *slog.Logger

	// EmbeddedFlows are used when the flows folder does not exist (ivrd demo: flows.FS).
	EmbeddedFlows fs.FS
	// NoWatch turns off watching the flows folder (Reload still works).
	NoWatch bool

	// DatabaseURL overrides database.url / url_file. With neither, the daemon runs without a
	// database: call records are only logged, sms steps take their on_error branch.
	DatabaseURL string
	// ConsoleOut is where the console SMS gateway prints texts (default: nowhere).
	ConsoleOut io.Writer

	// Texter sends sms steps instead of the SMS service (a daemon without database may still
	// text, e.g. `ivrd call`'s console outbox).
	Texter ivr.Texter
	// Callbacks registers callback steps (nil: they take their on_error branch).
	Callbacks ivr.CallbackRegistrar
	// Queues runs queue steps (default: the queue engine, ivr.QueueEngine, over the config's
	// queues, with its HTTP API on /api/queues).
	Queues ivr.QueueJoiner
	// HTTP is the client of flows' lookup steps (default: a plain client).
	HTTP *http.Client
	// Clock is the runtime's time of day (default: the system clock).
	Clock ivr.Clock
	// OnCallEnded hooks run after each call's record is final, after the daemon's own.
	OnCallEnded []func(ctx context.Context, rec *ivr.CallRecord)

	// Mount are extra HTTP handlers by pattern (e.g. the demo bank API).
	Mount map[string]http.Handler
	// Grace is how long Stop lets calls finish before hanging them up (default DefaultGrace).
	Grace time.Duration
	// RecordingsDir is where record steps write (default recordings.dir, else a temp folder).
	RecordingsDir string
	// ESLServer tunes the outbound socket server (Logger is set by the daemon).
	ESLServer esl.ServerOptions
	// NoHTTP skips the HTTP server (in-process tools such as `ivrd call --digits`).
	NoHTTP bool
}

// Daemon is one running ivrd.
type Daemon struct {
	opts    Options
	cfg     *config.Config
	log     *slog.Logger
	router  *Router
	flows   *flowStore
	rt      *ivr.Runtime
	metrics *metrics.Metrics
	web     *web.Server
	db      *database        // nil without a database
	queues  *ivr.QueueEngine // nil when Options.Queues replaces it

	queuesStarted bool
	nodes         *esl.Pool // nil without freeswitch: nodes
	out           *esl.Server

	started time.Time
	calls   callTable

	// callsCtx is the context calls run under: cancelled when the grace period ends.
	callsCtx    context.Context
	cancelCalls context.CancelFunc
	bg          sync.WaitGroup
	stopBG      context.CancelFunc
	stopOnce    sync.Once
	stopErr     error
	callsCut    atomic.Int64
}

// New builds a daemon from opts and checks its configuration: routes, flows (loaded now; a
// broken flow is an error listing file:line:col), FreeSWITCH node secrets, the database URL.
// The connections to FreeSWITCH nodes start dialing in the background; nothing is listened
// on yet.
func New(opts Options) (*Daemon, error) {
	if opts.Config == nil {
		return nil, errors.New("daemon: no config (config.Load)")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Grace <= 0 {
		opts.Grace = DefaultGrace
	}
	cfg := opts.Config
	d := &Daemon{opts: opts, cfg: cfg, log: opts.Logger, metrics: metrics.New()}
	var err error
	if d.router, err = NewRouter(cfg.Flows); err != nil {
		return nil, err
	}
	if d.flows, err = loadFlows(FlowsDir(cfg), opts.EmbeddedFlows, Catalog(cfg), d.log); err != nil {
		return nil, err
	}
	for _, name := range d.router.Flows() {
		if _, _, err := d.flows.set.Flow(name); err != nil {
			return nil, fmt.Errorf("flows.routes / flows.default name flow %q, which is not loaded from %s: %w", name, d.flows.where, err)
		}
	}
	url := opts.DatabaseURL
	if url == "" {
		if url, err = DatabaseURL(cfg); err != nil {
			return nil, err
		}
	}
	for _, n := range cfg.FreeSWITCH {
		if err := n.Validate(); err != nil {
			return nil, fmt.Errorf("freeswitch: %w", err)
		}
	}
	if len(cfg.FreeSWITCH) > 0 {
		// The inbound connections start dialing now (in the background, retrying).
		if d.nodes, err = esl.NewPool(cfg.FreeSWITCH, esl.ClientOptions{Logger: d.log}); err != nil {
			return nil, fmt.Errorf("freeswitch: %w", err)
		}
	}
	if url != "" {
		if d.db, err = newDatabase(url, cfg, d.nodes, opts.ConsoleOut, d.log); err != nil {
			d.closeDB()
			return nil, err
		}
	}

	rcfg := ivr.Config{
		Flows:         d.flows.set,
		Calendars:     cfg.Calendars,
		Queues:        opts.Queues,
		Callbacks:     opts.Callbacks,
		Texter:        opts.Texter,
		HTTP:          opts.HTTP,
		Clock:         opts.Clock,
		RecordingsDir: opts.RecordingsDir,
		Logger:        d.log.With("component", "runtime"),
	}
	if rcfg.RecordingsDir == "" {
		rcfg.RecordingsDir = cfg.Recordings.Dir
	}
	if rcfg.RecordingName, err = recordingName(cfg.Recordings); err != nil {
		d.closeDB()
		return nil, err
	}
	if rcfg.Queues == nil {
		if d.queues, err = ivr.NewQueueEngine(ivr.QueueEngineOptions{Queues: cfg.Queues, Log: d.log.With("component", "queues")}); err != nil {
			d.closeDB()
			return nil, err
		}
		rcfg.Queues = d.queues
	}
	if d.db != nil {
		rcfg.Records = d.db.records
		if rcfg.Texter == nil {
			rcfg.Texter = d.db.sms.Sender
		}
		if rcfg.Callbacks == nil {
			rcfg.Callbacks = d.db.callbacks
			if d.queues != nil {
				// a callback booked from the queue keeps the caller's place
				rcfg.Callbacks = d.queues.KeepPlace(d.db.callbacks)
			}
		}
	}
	rcfg.OnCallEnded = append([]func(context.Context, *ivr.CallRecord){d.callEnded, d.submitRecordings}, opts.OnCallEnded...)
	if d.rt, err = ivr.NewRuntime(rcfg); err != nil {
		d.closeDB()
		return nil, err
	}
	d.calls.m = map[string]*activeCall{}
	return d, nil
}

// closeDB undoes what New opened when New fails.
func (d *Daemon) closeDB() {
	if d.db != nil {
		d.db.pool.Close()
	}
	if d.nodes != nil {
		d.nodes.Close()
	}
}

// Start binds the HTTP server and the outbound socket (a port in use is an error here),
// starts the FreeSWITCH connections and the database supervisor (both retry on their own
// while their peer is down) and the flows watcher.
func (d *Daemon) Start(ctx context.Context) error {
	d.started = time.Now()
	d.callsCtx, d.cancelCalls = context.WithCancel(context.WithoutCancel(ctx))
	bgCtx, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	d.stopBG = stopBG
	fail := func(err error) error {
		_ = d.Stop(context.Background())
		return err
	}

	if !d.opts.NoHTTP {
		d.web = web.New(web.Options{Addr: d.cfg.Listen.HTTP, Metrics: d.metrics, Status: web.StatusFunc(d.status), Logger: d.log.With("component", "http")})
		for pattern, h := range d.opts.Mount {
			d.web.Mount(pattern, h)
		}
		if d.queues != nil {
			h := d.queues.Handler()
			d.web.Mount("/api/queues", h)
			d.web.Mount("/api/queues/", h)
		}
		if d.db != nil {
			d.mountSMS()
			d.web.AddCheck(web.CheckDatabase, d.db.check)
			d.web.Mount("POST /api/callbacks", d.db.callbacks.Handler())
			if d.db.recordings != nil {
				d.web.Mount("GET /api/qa/{call}", recordings.NewHandler(d.db.recordings.Store(), d.log.With("component", "qa-api")))
			}
		}
		if len(d.cfg.FreeSWITCH) > 0 {
			d.web.AddCheck(web.CheckFreeSWITCH, d.checkFreeSWITCH)
		}
		if err := d.web.Start(ctx); err != nil {
			return fail(err)
		}
	}

	if d.queues != nil {
		if err := d.queues.Start(context.WithoutCancel(ctx)); err != nil {
			return fail(err)
		}
		d.queuesStarted = true
	}

	sopts := d.opts.ESLServer
	sopts.Logger = d.log
	sopts.RecordEvents = true
	out, err := esl.Listen(ctx, d.cfg.Listen.Outbound, d.handleCall, sopts)
	if err != nil {
		return fail(fmt.Errorf("%w (listen.outbound in ivrd.yaml; is another ivrd running?)", err))
	}
	d.out = out

	if d.nodes != nil {
		d.bg.Add(1)
		go func() {
			defer d.bg.Done()
			d.watchNodes(bgCtx)
		}()
	} else {
		d.log.Warn("no FreeSWITCH nodes configured (freeswitch: in ivrd.yaml): ivrd answers calls sent to its outbound socket, but cannot place calls (callbacks)")
	}

	if d.db != nil {
		d.db.start(ctx)
	} else {
		d.log.Warn("no database configured (database.url): call records are not stored, texts are not sent unless a console outbox is given")
	}

	if d.flows.reloader != nil && !d.opts.NoWatch {
		wait, err := d.flows.reloader.Watch(bgCtx)
		if err != nil {
			d.log.Error("flows are not watched for changes; send SIGHUP to reload them", "err", err)
		} else {
			d.bg.Add(1)
			go func() {
				defer d.bg.Done()
				if err := wait(); err != nil {
					d.log.Error("watching flows stopped; send SIGHUP to reload them", "err", err)
				}
			}()
		}
	}
	d.log.Info("ivrd started", "outbound", d.OutboundAddr(), "http", d.HTTPAddr(), "flows", d.flows.where)
	return nil
}

// Reload reloads the flows folder now (SIGHUP). Errors leave the last good flows serving.
func (d *Daemon) Reload() error {
	if d.flows.reloader == nil {
		return errors.New("flows come from the binary (no flows folder): nothing to reload")
	}
	return d.flows.reloader.Reload()
}

// Stop shuts down, in this order: /readyz says draining; no new calls are taken; calls in
// progress may finish until ctx's deadline or Grace (whichever comes first) and are then hung
// up; the job queue stops, running jobs (a callback being dialed) having what is left of the
// grace to finish before they are handed back to the queue; call records are flushed; and
// only then do the FreeSWITCH connections, the HTTP server and the database pool close, so a
// job finishing in the grace still hears its originate's result.
//
// Calls hung up at the deadline are part of a normal stop, not an error: they are logged as a
// warning and counted by CallsCut. Stop returns an error only when something failed. It is
// safe to call more than once.
func (d *Daemon) Stop(ctx context.Context) error {
	d.stopOnce.Do(func() { d.stopErr = d.stop(ctx) })
	return d.stopErr
}

// CallsCut is how many calls Stop hung up because they were still running when the grace
// period ended (0 before Stop).
func (d *Daemon) CallsCut() int { return int(d.callsCut.Load()) }

func (d *Daemon) stop(ctx context.Context) error {
	var errs []error
	graceEnd := time.Now().Add(d.opts.Grace)
	if dl, ok := ctx.Deadline(); ok && dl.Before(graceEnd) {
		graceEnd = dl
	}
	// 1. Readiness says draining.
	if d.web != nil {
		d.web.Drain()
	}
	// 2-4. No new calls; calls in progress finish until the grace ends; the rest are hung up.
	if d.out != nil {
		d.drainCalls(ctx, graceEnd)
	}
	if d.cancelCalls != nil {
		d.cancelCalls()
	}
	if d.queuesStarted {
		if err := d.queues.Stop(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if d.stopBG != nil {
		d.stopBG()
	}
	d.bg.Wait()
	if d.db != nil {
		// 5. The job queue: running jobs get the rest of the grace, then go back to the queue.
		if err := d.db.stopJobs(ctx, graceEnd); err != nil {
			errs = append(errs, err)
		}
		// 6. Call records are flushed.
		if err := d.db.flush(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	// 7. Only now the connections close: FreeSWITCH, HTTP, the database pool.
	if d.nodes != nil {
		d.nodes.Close()
	}
	if d.web != nil {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		if err := d.web.Shutdown(sctx); err != nil {
			errs = append(errs, err)
		}
		cancel()
	}
	if d.db != nil {
		d.db.pool.Close()
	}
	if n := d.CallsCut(); n > 0 {
		d.log.Warn("ivrd stopped; calls still running when the grace period ended were hung up",
			"calls_cut", n, "grace", d.opts.Grace, "hint", "give calls more time with --grace (serve) if this happens on every stop")
	} else {
		d.log.Info("ivrd stopped")
	}
	return errors.Join(errs...)
}

// drainCalls closes the outbound socket to new calls and waits for the calls in progress until
// graceEnd; calls still running then are hung up and counted in callsCut.
func (d *Daemon) drainCalls(ctx context.Context, graceEnd time.Time) {
	n := d.out.ActiveCalls()
	if n > 0 {
		d.log.Info("stopping: no new calls; waiting for calls in progress to finish", "calls", n, "grace", d.opts.Grace)
	}
	gctx, cancel := context.WithDeadline(ctx, graceEnd)
	defer cancel()
	cut := make(chan struct{})
	go func() {
		defer close(cut)
		<-gctx.Done()
		d.callsCut.Store(int64(d.out.ActiveCalls()))
		d.cancelCalls() // the runtime hangs up what is left
	}()
	err := d.out.Shutdown(gctx)
	cancel()
	<-cut
	if err != nil {
		// The outbound socket only fails its shutdown when the grace ended with calls up: they
		// were hung up, which is what a stop at the deadline does.
		d.log.Warn("grace period ended: calls still running were hung up", "calls", d.CallsCut(), "err", err)
	} else {
		d.callsCut.Store(0)
	}
}

// OutboundAddr is where the outbound socket listens ("" before Start).
func (d *Daemon) OutboundAddr() string {
	if d.out == nil {
		return ""
	}
	return d.out.Addr().String()
}

// HTTPAddr is where the HTTP server listens ("" before Start or without HTTP).
func (d *Daemon) HTTPAddr() string {
	if d.web == nil || d.web.Addr() == nil {
		return ""
	}
	return d.web.Addr().String()
}

// Route is the flow a call to called goes to (routes, then the default flow).
func (d *Daemon) Route(called string) string { return d.router.Flow(called) }

// Flows is the daemon's flow set.
func (d *Daemon) Flows() *ivr.FlowSet { return d.flows.set }

// FlowsDir is the folder the flows come from, or "embedded".
func (d *Daemon) FlowsDir() string { return d.flows.where }

// Runtime is the daemon's IVR runtime.
func (d *Daemon) Runtime() *ivr.Runtime { return d.rt }

// Metrics are the daemon's metrics.
func (d *Daemon) Metrics() *metrics.Metrics { return d.metrics }

// DatabaseReady reports whether the database is connected and migrated (false without one).
func (d *Daemon) DatabaseReady() bool { return d.db != nil && d.db.ready.Load() }

// Nodes lists the FreeSWITCH nodes and whether each is connected.
func (d *Daemon) Nodes() map[string]bool {
	out := map[string]bool{}
	if d.nodes == nil {
		return out
	}
	for _, n := range d.nodes.Names() {
		c, _ := d.nodes.Client(n)
		out[n] = c.Connected()
	}
	return out
}

// checkFreeSWITCH is the /readyz check: at least one node connected.
func (d *Daemon) checkFreeSWITCH(context.Context) error {
	if d.nodes == nil {
		return errors.New("not started")
	}
	var down []string
	for _, n := range d.nodes.Names() {
		c, _ := d.nodes.Client(n)
		if c.Connected() {
			return nil
		}
		st := c.Stats()
		down = append(down, fmt.Sprintf("%s (%s): %s", n, c.Node().Address, st.LastError))
	}
	slices.Sort(down)
	return fmt.Errorf("no FreeSWITCH node connected: %v; check that FreeSWITCH runs, its event socket listens there and the password", down)
}

// watchNodes logs nodes going up and down (with what to check) and keeps the
// ivrd_freeswitch_up gauge.
func (d *Daemon) watchNodes(ctx context.Context) {
	was := map[string]bool{}
	start := time.Now()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		for _, n := range d.nodes.Names() {
			c, _ := d.nodes.Client(n)
			up := c.Connected()
			d.metrics.FreeSWITCHUp.WithLabelValues(n).Set(map[bool]float64{true: 1}[up])
			if prev, seen := was[n]; seen && prev == up {
				continue
			} else if !seen && !up && time.Since(start) < 3*time.Second {
				continue // still dialing for the first time
			}
			was[n] = up
			if up {
				d.log.Info("FreeSWITCH connected", "node", n, "address", c.Node().Address)
				continue
			}
			d.log.Error("FreeSWITCH not connected; retrying with backoff", "node", n, "address", c.Node().Address,
				"err", c.Stats().LastError,
				"check", "that FreeSWITCH runs, mod_event_socket listens on that address (event_socket.conf.xml listen-ip, listen-port, apply-inbound-acl) and the password")
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// hostname for the status page.
func hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return "ivrd"
	}
	return h
}
