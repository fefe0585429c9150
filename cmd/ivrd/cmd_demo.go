package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/ivrd/ivrd/config"
	"github.com/ivrd/ivrd/daemon"
	"github.com/ivrd/ivrd/esl/fstest"
	"github.com/ivrd/ivrd/flows"
	"github.com/ivrd/ivrd/store"
)

func init() {
	register(command{
		name:    "demo",
		args:    "[--config FILE] [--esl ADDR] [--data DIR]",
		summary: "the whole system on this machine: ivrd, a FreeSWITCH emulator, PostgreSQL, console texts",
		run:     runDemo,
	})
}

// demoURLFile is where the demo writes its database URL (in --data), so `ivrd calls` finds it.
const demoURLFile = "database_url"

func runDemo(ctx context.Context, env *cmdEnv, args []string) error {
	fs := flag.NewFlagSet("ivrd demo", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	cfgPath := fs.String("config", "", "ivrd.yaml (default $IVRD_CONFIG, else the built-in default config)")
	eslAddr := fs.String("esl", "127.0.0.1:8021", "where the FreeSWITCH emulator's event socket listens (FreeSWITCH's 8021)")
	password := fs.String("password", "", "event socket password (default $IVRD_ESL_PASSWORD, else ClueCon)")
	data := fs.String("data", ".demo", "folder for the demo's PostgreSQL (kept between runs; delete it to start over)")
	speed := fs.Float64("speed", 1, "run the emulator's time this many times faster (prompts, ringing)")
	at := fs.String("at", "", `pretend the calls happen at this time of day, e.g. "10:00" or "sat 10:30" (in the bank calendar's zone; default: now) to try open or closed hours`)
	verbose := fs.Bool("v", false, "debug logs")
	if err := fs.Parse(args); err != nil {
		return flagError(err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q; usage: ivrd demo [--config FILE] [--esl ADDR] [--data DIR]", fs.Args())
	}
	if *cfgPath == "" {
		*cfgPath = env.getenv("IVRD_CONFIG")
	}
	if *password == "" {
		*password = orElse(env.getenv("IVRD_ESL_PASSWORD"), "ClueCon")
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: level}))

	cfg, err := config.Load(*cfgPath)
	if err != nil {
		return err
	}
	if err := config.ApplyEnv(cfg, env.getenv); err != nil {
		return err
	}
	demoConfig(cfg)
	if cfg.Path == "" && !filepath.IsAbs(cfg.Recordings.Dir) {
		// the built-in config's relative recordings folder goes into the demo's data folder
		dir, err := filepath.Abs(filepath.Join(*data, "recordings"))
		if err != nil {
			return err
		}
		cfg.Recordings.Dir = dir
	}

	url, err := daemon.DatabaseURL(cfg)
	if err != nil {
		return err
	}
	dbWhere := "database.url of the config"
	var pg *store.LocalServer
	if url == "" {
		dir := filepath.Join(*data, "pg")
		fmt.Fprintf(env.stdout, "Starting PostgreSQL in %s (the first run creates it: a few seconds) ...\n", dir)
		if pg, err = store.StartLocalServer(ctx, dir); err != nil {
			return err
		}
		defer func() {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			if err := pg.Stop(sctx); err != nil {
				log.Error("stopping PostgreSQL", "err", err)
			} else {
				fmt.Fprintln(env.stdout, "PostgreSQL stopped.")
			}
		}()
		url = pg.URL()
		dbWhere = "kept in " + dir
		if err := os.WriteFile(filepath.Join(*data, demoURLFile), []byte(url+"\n"), 0o600); err != nil {
			return fmt.Errorf("write %s: %w", filepath.Join(*data, demoURLFile), err)
		}
	}

	emu, err := startDemoEmulator(ctx, *eslAddr, *password, *speed, log.With("component", "emulator"))
	if err != nil {
		return fmt.Errorf("%w (is another demo or a FreeSWITCH using %s? change it with --esl)", err, *eslAddr)
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
		defer cancel()
		_ = emu.Stop(sctx)
	}()
	if len(cfg.FreeSWITCH) == 0 {
		cfg.FreeSWITCH = append(cfg.FreeSWITCH, emulatorNode(emu))
	}

	var clock *shiftedClock
	hoursLine := ""
	if cal := cfg.Calendars["bank"]; cal != nil {
		loc := cal.Location
		if loc == nil {
			loc = time.UTC
		}
		now := time.Now()
		if *at != "" {
			t, err := parseCallTime(*at, loc, now)
			if err != nil {
				return err
			}
			clock = &shiftedClock{fs: realClock{}, base: now, at: t}
			now = t
		}
		state := "CLOSED: callers get the after-hours menu (try --at 10:00 for open hours)"
		if cal.Open(now) {
			state = "OPEN: callers get the main menu (try --at 22:00 for the after-hours menu)"
		}
		hoursLine = fmt.Sprintf("  the bank is %s\n    (it is %s in %s for ivrd)\n\n", state, now.In(loc).Format("Mon 15:04"), loc)
	}

	opts := daemon.Options{
		Config: cfg, Logger: log, EmbeddedFlows: flows.FS, DatabaseURL: url,
		ConsoleOut: &prefixWriter{w: env.stdout, prefix: "(console SMS outbox) "},
		Mount:      map[string]http.Handler{daemon.DemoBankPattern: daemon.DemoBank{}},
		Grace:      10 * time.Second,
	}
	if clock != nil {
		opts.Clock = clock
	}
	var d *daemon.Daemon
	opts.HTTP = redirectClient(func() string {
		if d == nil {
			return ""
		}
		return d.HTTPAddr()
	}, shippedDemoHost, cfg.Listen.HTTP)
	d, err = daemon.New(opts)
	if err != nil {
		return err
	}
	if err := d.Start(ctx); err != nil {
		return err
	}
	routeToIvrd(emu, d.OutboundAddr())
	printDemoBanner(env, demoBanner{
		esl: emu.InboundAddr(), password: *password, outbound: d.OutboundAddr(), http: d.HTTPAddr(),
		database: url, dbWhere: dbWhere, flows: d.FlowsDir(), self: selfName(), hours: hoursLine, recordings: cfg.Recordings.Dir,
	})

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-hup:
			if err := d.Reload(); err != nil {
				log.Error("SIGHUP: flows not reloaded", "err", err)
			}
			continue
		case <-ctx.Done():
		}
		break
	}
	fmt.Fprintln(env.stdout, "\nStopping: calls in progress may finish (up to 10 s) ...")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	return d.Stop(sctx)
}

type demoBanner struct {
	esl, password, outbound, http, database, dbWhere, flows, self, hours, recordings string
}

func printDemoBanner(env *cmdEnv, b demoBanner) {
	flowsLine := b.flows + " (hot reloaded: edit " + filepath.Join(b.flows, "hotline.yaml") + " and new calls get it; errors are logged and the last good version keeps serving)"
	if b.flows == "embedded" {
		flowsLine = "built into the binary (run from a folder with flows/ to edit them live)"
	}
	agents := strings.Join(demoAgents, " ")
	fmt.Fprintf(env.stdout, `
ivrd demo is running: the whole system on this machine, no FreeSWITCH needed.

  FreeSWITCH (emulator)  event socket (ESL inbound) %[1]s, password %[2]s
                         every number dialled runs: socket %[3]s async full
                         agents %[4]s answer after %[5]s and talk for %[6]s
  ivrd outbound socket   %[3]s
  status page            http://%[7]s/
  metrics, readiness     http://%[7]s/metrics  http://%[7]s/readyz
  database               %[8]s
                         (%[9]s)
  flows                  %[10]s
  text messages          printed here by the console SMS outbox (no quiet hours or limits in the demo)
  recordings             %[16]s (calls with agents; transcribed offline for QA)
  demo bank API          http://%[7]s/demo/ (the hotline's caller and balance lookups):
%[11]s
%[15]sPlace a call from another terminal (in this folder):
  %[12]s call                                  interactive: type 0-9 * # to press keys, q to hang up
  %[12]s call --caller +12125550101            the same, as a VIP customer the demo bank knows
  %[12]s call --esl %[1]s --digits "1,1,12345678,1"
                                               scripted: English, balance, account number, confirm
  %[12]s calls list                            recent calls; then: %[12]s calls show CALL-ID
  fs_cli -H %[13]s -P %[14]s -p %[2]s                the emulator speaks real ESL

Ctrl-C stops everything (PostgreSQL too).

`, b.esl, b.password, b.outbound, agents, demoAgentRing, demoAgentTalk, b.http, b.database, b.dbWhere, flowsLine,
		demoDataHelp(), b.self, hostOf(b.esl), portOf(b.esl), b.hours, b.recordings)
}

// realClock is the wall clock as an fstest.Clock, for shiftedClock.
type realClock struct{ fstest.Clock }

func (realClock) Now() time.Time { return time.Now() }

// selfName is how to run this binary again from the current folder: "ivrd" when it is the
// one on PATH, else its path.
func selfName() string {
	exe, err := os.Executable()
	if err != nil {
		return "ivrd"
	}
	if p, err := exec.LookPath("ivrd"); err == nil {
		if a, _ := filepath.EvalSymlinks(p); a == exe {
			return "ivrd"
		}
	}
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, exe); err == nil && !strings.HasPrefix(rel, "..") {
			return "./" + rel
		}
	}
	return exe
}
