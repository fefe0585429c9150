package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/ivrd/ivrd/config"
	"github.com/ivrd/ivrd/daemon"
	"github.com/ivrd/ivrd/esl"
	"github.com/ivrd/ivrd/esl/fstest"
	"github.com/ivrd/ivrd/flows"
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/sipcall"
)

func init() {
	register(command{
		name:    "call",
		args:    "[--digits SCRIPT [--flow FILE] [--at TIME]] [--caller N] [--number 5000] | --sip URI",
		summary: "call the hotline from the terminal: interactive against ivrd demo, or scripted in-process with --digits",
		run:     runCall,
	})
}

// callOptions are the flags of `ivrd call`.
type callOptions struct {
	digits, flow, caller, number, at, config string
	eslAddr, password                        string
	speed                                    float64
	timeout                                  time.Duration
	verbose                                  bool
}

func runCall(ctx context.Context, env *cmdEnv, args []string) error {
	for _, a := range args {
		if a == "--sip" || a == "-sip" || strings.HasPrefix(a, "--sip=") || strings.HasPrefix(a, "-sip=") {
			return runSIPCall(ctx, env, args)
		}
	}
	fs := flag.NewFlagSet("ivrd call", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	var o callOptions
	fs.StringVar(&o.digits, "digits", "", `run a scripted call in-process: keys pressed at each question ivrd asks, pauses before them, e.g. "1,wait 3s,2,5#" (a trailing "wait 10s" stays that long, then hangs up)`)
	fs.StringVar(&o.flow, "flow", "", "with --digits: the flow file to call (default: the configured route for --number, from ./flows or the flows built in)")
	fs.StringVar(&o.caller, "caller", "+12125550199", "the caller's number (the demo bank knows +12125550101 and +12125550102)")
	fs.StringVar(&o.number, "number", "5000", "the number dialled")
	fs.StringVar(&o.at, "at", "", `with --digits: the time of day the call happens, e.g. "2026-11-24 22:00" or "sat 10:30" (in the flow's time zone; default now)`)
	fs.StringVar(&o.config, "config", "", "ivrd.yaml to take calendars, queues, routes and SMS templates from (default $IVRD_CONFIG, else the built-in default)")
	fs.StringVar(&o.eslAddr, "esl", "", "FreeSWITCH (or emulator) event socket to call through (default 127.0.0.1:8021, what ivrd demo listens on; with --digits: in-process)")
	fs.StringVar(&o.password, "password", "", "event socket password (default $IVRD_ESL_PASSWORD, else ClueCon)")
	fs.Float64Var(&o.speed, "speed", 10, "with --digits in-process: run the call this many times faster than real time")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "hang up when the call has lasted this long (call time)")
	fs.BoolVar(&o.verbose, "v", false, "log what ivrd does")
	// Never read here: --sip is routed to runSIPCall above; listed so -h shows the SIP mode exists.
	fs.String("sip", "", "dial this SIP URI instead: a real call over SIP and RTP (its flags: ivrd call --sip URI -h)")
	if err := fs.Parse(args); err != nil {
		return flagError(err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q; usage: ivrd call [--digits SCRIPT [--flow FILE] [--at TIME]] [--caller N]", fs.Args())
	}
	if o.password == "" {
		o.password = orElse(env.getenv("IVRD_ESL_PASSWORD"), "ClueCon")
	}
	if o.config == "" {
		o.config = env.getenv("IVRD_CONFIG")
	}
	if o.digits == "" {
		if o.flow != "" || o.at != "" {
			return errors.New("--flow and --at go with --digits (a scripted call in-process); an interactive call goes to the running ivrd demo")
		}
		return runInteractiveCall(ctx, env, o)
	}
	steps, err := sipcall.ParseScript(o.digits)
	if err != nil {
		return fmt.Errorf("--digits: %w", err)
	}
	if o.eslAddr != "" {
		if o.flow != "" || o.at != "" {
			return errors.New("--flow and --at only apply in-process: drop --esl to run the flow here")
		}
		return runScriptedRemote(ctx, env, o, steps)
	}
	return runScriptedLocal(ctx, env, o, steps)
}

// dialESL connects to an event socket, saying what to do when nothing listens there.
func dialESL(ctx context.Context, addr, password string) (*esl.Client, error) {
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	c, err := esl.Dial(cctx, esl.Node{Name: "call", Address: addr, Password: password}, esl.ClientOptions{
		Logger: slog.New(slog.DiscardHandler), DialTimeout: 3 * time.Second})
	if err != nil {
		if errors.Is(err, esl.ErrAuth) {
			return nil, fmt.Errorf("event socket %s refused the password: give --password (or $IVRD_ESL_PASSWORD); ivrd demo prints it: %w", addr, err)
		}
		return nil, fmt.Errorf("no event socket at %s: %w\nstart the demo in another terminal (ivrd demo, or ./run demo) or give --esl and --password of your FreeSWITCH;\nor run a call in-process without anything else: ivrd call --digits \"1,1\"", addr, err)
	}
	return c, nil
}

// runInteractiveCall calls through a running FreeSWITCH or emulator and sends the keys typed.
func runInteractiveCall(ctx context.Context, env *cmdEnv, o callOptions) error {
	addr := orElse(o.eslAddr, "127.0.0.1:8021")
	client, err := dialESL(ctx, addr, o.password)
	if err != nil {
		return err
	}
	defer client.Close()
	p := &phone{client: client, out: env.stdout, now: time.Now, sleep: sleepCtx, called: o.number, caller: o.caller}
	restore := rawTerminal(env.stdin)
	defer restore()
	fmt.Fprintf(env.stdout, "Calling %s through %s. Keys: 0-9 * # send DTMF, q hangs up.\n", o.number, addr)
	if err := p.dial(ctx); err != nil {
		return err
	}
	keys := make(chan byte)
	stopKeys := make(chan struct{})
	defer close(stopKeys)
	go readKeys(env.stdin, keys, stopKeys)
	timeout := time.NewTimer(o.timeout)
	defer timeout.Stop()
	for {
		select {
		case <-p.Done():
			return callExit(p)
		case k, ok := <-keys:
			switch {
			case !ok || k == 'q' || k == 'Q' || k == 4: // end of input, q, Ctrl-D
				if err := p.hangup(ctx); err != nil {
					return err
				}
				keys = nil
			case strings.IndexByte("0123456789*#ABCDabcd", k) >= 0:
				if err := p.press(ctx, strings.ToUpper(string(k))); err != nil {
					return err
				}
			}
		case <-timeout.C:
			fmt.Fprintf(env.stdout, "the call lasted %s (--timeout): hanging up\n", o.timeout)
			_ = p.hangup(context.WithoutCancel(ctx))
			<-p.Done()
			return exitError{1}
		case <-ctx.Done():
			_ = p.hangup(context.WithoutCancel(ctx))
			<-p.Done()
			return nil
		}
	}
}

// readKeys sends each byte read to keys, and closes keys at the end of input. It stops
// handing keys over once stop is closed (a read in progress ends with the input).
func readKeys(r io.Reader, keys chan<- byte, stop <-chan struct{}) {
	defer close(keys)
	buf := make([]byte, 1)
	for {
		n, err := r.Read(buf)
		if n == 1 {
			select {
			case keys <- buf[0]:
			case <-stop:
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// rawTerminal makes a terminal on r send each key at once, without echo, and returns what
// restores it. Anything else (a pipe, a file) is read as is.
func rawTerminal(r io.Reader) func() {
	f, ok := r.(*os.File)
	if !ok {
		return func() {}
	}
	if st, err := f.Stat(); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return func() {}
	}
	stty := func(args ...string) (string, error) {
		cmd := exec.Command("stty", args...)
		cmd.Stdin = f
		out, err := cmd.Output()
		return strings.TrimSpace(string(out)), err
	}
	saved, err := stty("-g")
	if err != nil {
		return func() {}
	}
	if _, err := stty("-icanon", "-echo", "min", "1"); err != nil {
		return func() {}
	}
	return func() { _, _ = stty(saved) }
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// callExit is 0 when the call ended normally (NORMAL_CLEARING by either side), else 1.
func callExit(p *phone) error {
	cause, _, answered := p.result()
	if !answered || cause != string(esl.CauseNormalClearing) {
		return exitError{1}
	}
	return nil
}

// runScriptedRemote runs a digit script against a running FreeSWITCH or emulator.
func runScriptedRemote(ctx context.Context, env *cmdEnv, o callOptions, steps []sipcall.Step) error {
	client, err := dialESL(ctx, o.eslAddr, o.password)
	if err != nil {
		return err
	}
	defer client.Close()
	p := &phone{client: client, out: env.stdout, now: time.Now, sleep: sleepCtx, called: o.number, caller: o.caller}
	return actOut(ctx, env, p, steps, o.timeout)
}

// actOut dials, acts out the script, waits for the end of the call (hanging up at timeout
// of real time) and returns the exit status.
func actOut(ctx context.Context, env *cmdEnv, p *phone, steps []sipcall.Step, timeout time.Duration) error {
	if err := p.dial(ctx); err != nil {
		return err
	}
	sctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	scriptErr := make(chan error, 1)
	go func() { scriptErr <- p.runScript(sctx, steps) }()
	select {
	case <-p.Done():
	case <-sctx.Done():
		fmt.Fprintf(env.stdout, "the call is still going after %s: hanging up\n", timeout)
		_ = p.hangup(context.WithoutCancel(ctx))
		<-p.Done()
		return exitError{1}
	}
	if err := <-scriptErr; err != nil {
		fmt.Fprintf(env.stdout, "script: %v\n", err)
		return exitError{1}
	}
	return callExit(p)
}

// localSystem is what `ivrd call --digits` starts in-process: the FreeSWITCH emulator, ivrd's
// runtime on its outbound socket (no database: records come back to the command, texts go to
// the console) and the demo bank API.
type localSystem struct {
	fs      *fstest.Server
	d       *daemon.Daemon
	bank    *demoBank
	records chan *ivr.CallRecord
	flow    string
	clock   *shiftedClock
	// lookupHost is the host of the flows' demo lookups (listen.http), sent to bank.
	lookupHost string
	recDir     string
}

func (s *localSystem) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if s.d != nil {
		_ = s.d.Stop(ctx)
	}
	if s.fs != nil {
		_ = s.fs.Close()
	}
	if s.bank != nil {
		s.bank.close()
	}
	if s.recDir != "" {
		_ = os.RemoveAll(s.recDir)
	}
}

func startLocalSystem(ctx context.Context, env *cmdEnv, o callOptions) (_ *localSystem, err error) {
	cfg, err := config.Load(o.config)
	if err != nil {
		return nil, err
	}
	if err := config.ApplyEnv(cfg, env.getenv); err != nil {
		return nil, err
	}
	demoConfig(cfg)
	cfg.Listen.Outbound = "127.0.0.1:0"
	cfg.Database = config.Database{}
	cfg.FreeSWITCH = nil
	s := &localSystem{records: make(chan *ivr.CallRecord, 4)}
	// Recordings of in-process calls (record steps) go to a temporary folder, removed after.
	if s.recDir, err = os.MkdirTemp("", "ivrd-call-recordings-"); err != nil {
		return nil, err
	}
	cfg.Recordings.Dir = ""
	cfg.Recordings.Destinations = nil
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	if o.flow != "" {
		data, err := os.ReadFile(o.flow)
		if err != nil {
			return nil, fmt.Errorf("--flow: %w", err)
		}
		f, ds := ivr.ParseFlow(o.flow, data, &ivr.Catalog{SkipFileCheck: true})
		if ds.HasErrors() {
			return nil, fmt.Errorf("--flow %s has errors (ivrd flows lint %s):\n%w", o.flow, o.flow, ds.Err())
		}
		dir, err := filepath.Abs(filepath.Dir(o.flow))
		if err != nil {
			return nil, err
		}
		cfg.Flows = config.Flows{Dir: dir, Default: f.Name}
	}

	level := slog.LevelError
	if o.verbose {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: level}))
	if s.bank, err = startDemoBank(); err != nil {
		return nil, err
	}
	if s.fs, err = startDemoEmulator(ctx, "127.0.0.1:0", "", o.speed, log.With("component", "emulator")); err != nil {
		return nil, err
	}
	s.clock = &shiftedClock{fs: s.fs.Clock(), base: s.fs.Clock().Now(), at: s.fs.Clock().Now()}
	texts := &prefixWriter{w: env.stdout, prefix: "          (text message) "}
	s.d, err = daemon.New(daemon.Options{
		Config: cfg, Logger: log, EmbeddedFlows: flows.FS, NoWatch: true, NoHTTP: true,
		Texter:        daemon.NewConsoleTexter(cfg.SMS, texts),
		HTTP:          redirectClient(func() string { return s.bank.addr }, shippedDemoHost, cfg.Listen.HTTP),
		Clock:         s.clock,
		Grace:         2 * time.Second,
		RecordingsDir: s.recDir,
		OnCallEnded: []func(context.Context, *ivr.CallRecord){func(_ context.Context, rec *ivr.CallRecord) {
			select {
			case s.records <- rec:
			default:
			}
		}},
	})
	if err != nil {
		return nil, err
	}
	s.flow = s.d.Route(o.number)
	s.lookupHost = cfg.Listen.HTTP
	if o.at != "" {
		loc := time.UTC
		if f, _, err := s.d.Flows().Flow(s.flow); err == nil && f.Location != nil {
			loc = f.Location
		}
		at, err := parseCallTime(o.at, loc, time.Now())
		if err != nil {
			return nil, err
		}
		s.clock.at = at
	}
	if err := s.d.Start(ctx); err != nil {
		return nil, err
	}
	routeToIvrd(s.fs, s.d.OutboundAddr())
	return s, nil
}

// runScriptedLocal runs the whole call in-process and prints the transcript and ivrd's record.
func runScriptedLocal(ctx context.Context, env *cmdEnv, o callOptions, steps []sipcall.Step) error {
	s, err := startLocalSystem(ctx, env, o)
	if err != nil {
		return err
	}
	defer s.close()
	f, version, _ := s.d.Flows().Flow(s.flow)
	file := "built in"
	if f != nil && s.d.FlowsDir() != "embedded" {
		file = f.File
	}
	now := s.clock.Now()
	if f != nil && f.Location != nil {
		now = now.In(f.Location)
	}
	fmt.Fprintf(env.stdout, "In-process call: FreeSWITCH emulator + ivrd runtime, no database (%gx speed).\n", o.speed)
	fmt.Fprintf(env.stdout, "  flow     %s (version %s, %s)\n", s.flow, version, file)
	fmt.Fprintf(env.stdout, "  clock    %s\n", now.Format("Mon 2006-01-02 15:04 MST"))
	fmt.Fprintf(env.stdout, "  lookups  the flow's requests to http://%s/demo/... go to the built-in demo bank API at http://%s:\n%s",
		s.lookupHost, s.bank.addr, demoDataHelp())
	fmt.Fprintf(env.stdout, "  texts    printed below, not sent\n")
	fmt.Fprintf(env.stdout, "  callbacks and call records need the database: try those with ivrd demo\n\n")

	client, err := esl.Dial(ctx, emulatorNode(s.fs), esl.ClientOptions{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return fmt.Errorf("connect to the emulator: %w", err)
	}
	defer client.Close()
	clk := s.fs.Clock()
	p := &phone{client: client, out: env.stdout, now: clk.Now, called: o.number, caller: o.caller, inProcess: true,
		sleep: func(ctx context.Context, d time.Duration) error {
			select {
			case <-clk.After(d):
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}}
	exit := actOut(ctx, env, p, steps, time.Duration(float64(o.timeout)/o.speed)+5*time.Second)
	select {
	case rec := <-s.records:
		fmt.Fprintf(env.stdout, "\nivrd's call record (ivrd calls show %s, with a database):\n", rec.ID)
		_ = rec.WriteTimeline(env.stdout)
		if rec.Outcome == ivr.OutcomeError {
			return exitError{1}
		}
	case <-time.After(10 * time.Second):
		fmt.Fprintln(env.stdout, "\nivrd did not finish the call record")
		return exitError{1}
	}
	return exit
}

// shiftedClock is the runtime's time of day in a scripted call: --at plus the emulated time
// since the start.
type shiftedClock struct {
	fs       fstest.Clock
	base, at time.Time
}

func (c *shiftedClock) Now() time.Time { return c.at.Add(c.fs.Now().Sub(c.base)) }

// parseCallTime reads --at: "2026-11-24 22:00", "2026-11-24T22:00", RFC 3339, "22:00"
// (today) or "sat 10:30" (the next such day), in loc unless the text has a zone.
func parseCallTime(s string, loc *time.Location, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	today := now.In(loc)
	clock := s
	day := -1
	if fields := strings.Fields(s); len(fields) == 2 {
		for i, n := range []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"} {
			if strings.HasPrefix(strings.ToLower(fields[0]), n) {
				day = i
			}
		}
		if day < 0 {
			return time.Time{}, fmt.Errorf("--at %q: %q is not a day of the week (mon..sun)", s, fields[0])
		}
		clock = fields[1]
	}
	hm, err := time.Parse("15:04", clock)
	if err != nil {
		return time.Time{}, fmt.Errorf(`--at %q: write "2026-11-24 22:00", "22:00" or "sat 10:30"`, s)
	}
	t := time.Date(today.Year(), today.Month(), today.Day(), hm.Hour(), hm.Minute(), 0, 0, loc)
	if day >= 0 {
		t = t.AddDate(0, 0, (day-int(t.Weekday())+7)%7)
	}
	return t, nil
}

// prefixWriter writes each line with a prefix.
type prefixWriter struct {
	w      io.Writer
	prefix string
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	lines := strings.SplitAfter(string(b), "\n")
	for _, l := range lines {
		if l == "" {
			continue
		}
		if _, err := io.WriteString(p.w, p.prefix+l); err != nil {
			return 0, err
		}
	}
	return len(b), nil
}
