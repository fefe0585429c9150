package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/ivrd/ivrd/recordings"
)

func init() {
	migrationSets = append(migrationSets, recordings.Migrations)
	register(command{name: "qa score", args: "FILE.wav --rules qa.yaml [--queue Q] [--lang en]",
		summary: "transcribe and score one recording; exit 1 if it fails QA", run: runQAScore})
	register(command{name: "qa run", args: "DIR --rules qa.yaml [--queue Q] [--workers N]",
		summary: "score every .wav in DIR: progress, summary table, failure list", run: runQARun})
	register(command{name: "qa lint", args: "qa.yaml...",
		summary: "check QA rules files; errors name file:line:col", run: runQALint})
	register(command{name: "qa show", args: "CALL --database URL [--json]",
		summary: "show a call's stored QA score with its evidence", run: runQAShow})
}

// qaFlags are the flags qa score and qa run share.
type qaFlags struct {
	rules, queue, lang, openai, model string
	json                              bool
}

func newQAFlagSet(env *cmdEnv, name string, f *qaFlags) *flag.FlagSet {
	fs := flag.NewFlagSet("ivrd "+name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	fs.StringVar(&f.rules, "rules", env.getenv("IVRD_QA_RULES"), "QA rules file (default $IVRD_QA_RULES)")
	fs.StringVar(&f.queue, "queue", "default", "queue whose rules apply")
	fs.StringVar(&f.lang, "lang", "en", "language spoken (ISO 639-1); only en can be transcribed offline")
	fs.StringVar(&f.openai, "openai", "", "transcribe with this OpenAI-compatible server (base URL) instead of offline; token from $OPENAI_API_KEY")
	fs.StringVar(&f.model, "model", "whisper-1", "model for --openai")
	fs.BoolVar(&f.json, "json", false, "print JSON instead of tables")
	return fs
}

// qaParseArgs parses flags that may come before or after the positional arguments.
func qaParseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, exitError{0}
			}
			return nil, exitError{2}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// qaTranscriber returns the transcriber the flags ask for and a func to release it.
func qaTranscriber(env *cmdEnv, f *qaFlags, workers int) (recordings.Transcriber, func(), error) {
	if f.openai != "" {
		o := &recordings.OpenAI{Endpoint: recordings.Endpoint{URL: f.openai, TokenEnv: "OPENAI_API_KEY"}, Model: f.model}
		if env.getenv("OPENAI_API_KEY") == "" {
			o.Endpoint.TokenEnv = ""
		}
		return o, func() {}, nil
	}
	s, err := recordings.NewSphinx(recordings.OfflineConfig{Workers: workers}, slog.New(slog.NewTextHandler(env.stderr, nil)))
	if err != nil {
		return nil, nil, err
	}
	return s, s.Close, nil
}

func loadQARules(path string) (*recordings.Rules, error) {
	if path == "" {
		return nil, errors.New("no rules: give --rules qa.yaml (or set IVRD_QA_RULES)")
	}
	return recordings.LoadRules(path)
}

func runQAScore(ctx context.Context, env *cmdEnv, args []string) error {
	var f qaFlags
	fs := newQAFlagSet(env, "qa score", &f)
	pos, err := qaParseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("give exactly one recording; usage: ivrd qa score FILE.wav --rules qa.yaml [--queue Q] [--lang en]")
	}
	rules, err := loadQARules(f.rules)
	if err != nil {
		return err
	}
	tr, release, err := qaTranscriber(env, &f, 1)
	if err != nil {
		return err
	}
	defer release()
	res, t, err := recordings.ScoreFile(ctx, tr, rules, f.queue, f.lang, pos[0])
	if err != nil {
		return err
	}
	if f.json {
		if err := writeJSON(env.stdout, map[string]any{"file": pos[0], "transcript": t, "result": res}); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(env.stdout, "transcript (%s): %s\n\n", t.Backend, t.Text)
		if err := recordings.WriteResult(env.stdout, pos[0], res); err != nil {
			return err
		}
	}
	if !res.Passed {
		return exitError{1}
	}
	return nil
}

func runQARun(ctx context.Context, env *cmdEnv, args []string) error {
	var f qaFlags
	fs := newQAFlagSet(env, "qa run", &f)
	workers := fs.Int("workers", max(1, runtime.NumCPU()-1), "recordings transcribed at once (decoders kept loaded)")
	pos, err := qaParseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("give exactly one folder; usage: ivrd qa run DIR --rules qa.yaml [--queue Q] [--workers N]")
	}
	rules, err := loadQARules(f.rules)
	if err != nil {
		return err
	}
	files, err := wavFiles(pos[0])
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("no .wav files in %s; give the folder that holds the recordings (recordings.dir of the config)", pos[0])
	}
	tr, release, err := qaTranscriber(env, &f, *workers)
	if err != nil {
		return err
	}
	defer release()
	start := time.Now()
	b := &recordings.Batch{Transcriber: tr, Rules: rules, Queue: f.queue, Lang: f.lang, Workers: *workers,
		Progress: func(done, total int) { progressBar(env.stderr, done, total, start) }}
	items := b.Run(ctx, files)
	fmt.Fprintln(env.stderr)
	failed := false
	for _, it := range items {
		failed = failed || it.Failed()
	}
	if f.json {
		out := make([]map[string]any, len(items))
		for i, it := range items {
			m := map[string]any{"file": it.Path, "result": it.Result}
			if it.Err != nil {
				m["error"] = it.Err.Error()
			}
			out[i] = m
		}
		if err := writeJSON(env.stdout, out); err != nil {
			return err
		}
	} else if err := recordings.WriteBatchSummary(env.stdout, items); err != nil {
		return err
	}
	if failed {
		return exitError{1}
	}
	return nil
}

// progressBar draws "[#####.....] 12/40 0:35" on one line of w.
func progressBar(w io.Writer, done, total int, start time.Time) {
	const width = 30
	n := done * width / total
	fmt.Fprintf(w, "\r[%s%s] %d/%d %s", strings.Repeat("#", n), strings.Repeat(".", width-n), done, total,
		time.Since(start).Round(time.Second))
}

func wavFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read recordings folder: %w; give an existing folder: ivrd qa run DIR --rules qa.yaml", err)
	}
	var files []string
	for _, e := range entries {
		if !e.IsDir() && strings.EqualFold(filepath.Ext(e.Name()), ".wav") {
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	sort.Strings(files)
	return files, nil
}

func runQALint(_ context.Context, env *cmdEnv, args []string) error {
	fs := flag.NewFlagSet("ivrd qa lint", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	pos, err := qaParseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return errors.New("give the rules files to check; usage: ivrd qa lint qa.yaml...")
	}
	bad := 0
	for _, p := range pos {
		rules, err := recordings.LoadRules(p)
		if err != nil {
			fmt.Fprintln(env.stderr, err)
			bad++
			continue
		}
		n := 0
		for _, rs := range rules.Queues {
			n += len(rs.Rules)
		}
		fmt.Fprintf(env.stdout, "%s: ok (%d queues, %d rules)\n", p, len(rules.Queues), n)
	}
	if bad > 0 {
		return exitError{1}
	}
	return nil
}

func runQAShow(ctx context.Context, env *cmdEnv, args []string) error {
	fs := flag.NewFlagSet("ivrd qa show", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	db := addDatabaseFlags(fs, env)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := qaParseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("give exactly one call id; usage: ivrd qa show CALL --database URL")
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	pool, err := db.open(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	st := recordings.NewStore(pool)
	score, err := st.ScoreByCall(ctx, pos[0])
	if errors.Is(err, recordings.ErrNotFound) {
		return fmt.Errorf("%w; check the call id (ivrd calls list shows recent calls; only recorded calls are scored)", err)
	}
	if err != nil {
		return err
	}
	deliveries, err := st.Deliveries(ctx, score.Recording.ID)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(env.stdout, map[string]any{"recording": score.Recording, "deliveries": deliveries,
			"result": score.Result, "scored_at": score.ScoredAt})
	}
	r := score.Recording
	fmt.Fprintf(env.stdout, "call %s  caller %s  agent %s  queue %s  flow %s\n", r.CallID, r.Caller, r.Agent, r.Queue, r.FlowPath)
	fmt.Fprintf(env.stdout, "started %s  lasted %s  file %s (%d bytes, sha256 %s)\n",
		r.Start.UTC().Format(time.RFC3339), r.Duration, r.Path, r.Size, r.SHA256)
	if r.CheckStatus != "ok" {
		fmt.Fprintf(env.stdout, "recording check: %s: %s\n", r.CheckStatus, r.CheckDetail)
	}
	for _, d := range deliveries {
		fmt.Fprintf(env.stdout, "destination %s: %s after %d attempt(s) %s\n", d.Destination, d.Status, d.Attempts, d.Reason)
	}
	fmt.Fprintln(env.stdout)
	return recordings.WriteResult(env.stdout, "scored "+score.ScoredAt.UTC().Format(time.RFC3339), score.Result)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
