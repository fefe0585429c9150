package main

import (
	"context"
	"encoding/binary"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/recordings"
	"github.com/ivrd/ivrd/store"
	"github.com/ivrd/ivrd/store/pgtest"
)

const qaRules = "../../recordings/testdata/qa.yaml"

// qaSpeech writes text spoken by flite's kal16 voice as an 8 kHz telephone recording into dir.
func qaSpeech(t *testing.T, dir, name, text string) string {
	t.Helper()
	raw := filepath.Join(t.TempDir(), "raw.wav")
	out := filepath.Join(dir, name)
	for _, c := range [][]string{
		{"flite", "-voice", "kal16", "-t", text, "-o", raw},
		{"sox", "-R", raw, "-b", "16", "-c", "1", out, "rate", "8000", "pad", "0", "0.8"},
	} {
		b, err := exec.Command(c[0], c[1:]...).CombinedOutput()
		require.NoError(t, err, "%v: %s", c, b)
	}
	return out
}

// headerOnlyWAV writes the 44-byte file FreeSWITCH leaves when no media arrived.
func headerOnlyWAV(t *testing.T, path string) string {
	h := make([]byte, 44)
	copy(h, "RIFF")
	binary.LittleEndian.PutUint32(h[4:], 36)
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	binary.LittleEndian.PutUint16(h[20:], 1)
	binary.LittleEndian.PutUint16(h[22:], 1)
	binary.LittleEndian.PutUint32(h[24:], 8000)
	binary.LittleEndian.PutUint32(h[28:], 16000)
	binary.LittleEndian.PutUint16(h[32:], 2)
	binary.LittleEndian.PutUint16(h[34:], 16)
	copy(h[36:], "data")
	require.NoError(t, os.WriteFile(path, h, 0o644))
	return path
}

const (
	qaGood = "thank you for calling first national bank, my name is sarah. can you please confirm your date of birth. have a nice day."
	qaBad  = "hello, what do you want. that is not my problem. have a nice day."
)

func TestQAScoreAndRun(t *testing.T) {
	dir := t.TempDir()
	good := qaSpeech(t, dir, "a-good.wav", qaGood)
	bad := qaSpeech(t, dir, "b-bad.wav", qaBad)
	headerOnlyWAV(t, filepath.Join(dir, "c-empty.wav"))

	t.Run("a good call passes with evidence", func(t *testing.T) {
		code, out, errOut := runCmd(t, "qa", "score", good, "--rules", qaRules, "--queue", "billing")
		require.Equal(t, 0, code, errOut)
		require.Contains(t, out, "PASS")
		require.Regexp(t, `greeting\s+pass\s+30\s+said "thank you for calling first national bank"`, out)
		require.Contains(t, out, `"thank you for calling first national bank"`)
	})
	t.Run("a bad call fails on the right rules, exit 1", func(t *testing.T) {
		code, out, _ := runCmd(t, "qa", "score", "--rules", qaRules, bad)
		require.Equal(t, 1, code)
		require.Contains(t, out, "FAIL (critical rule failed: forbidden)")
		require.Regexp(t, `forbidden\s+FAIL\*\s+20\s+said "that is not my problem"\s+0:0\d\.\d\d-0:0\d\.\d\d "[^"]*not my problem"`, out)
		require.Regexp(t, `identity\s+fail`, out)
	})
	t.Run("Mandarin is refused offline with a reason", func(t *testing.T) {
		code, _, errOut := runCmd(t, "qa", "score", good, "--rules", qaRules, "--lang", "zh")
		require.Equal(t, 1, code)
		require.Contains(t, errOut, `only an English model, recording is "zh"`)
	})
	t.Run("a broken rules file names file:line:col", func(t *testing.T) {
		rules := filepath.Join(t.TempDir(), "qa.yaml")
		require.NoError(t, os.WriteFile(rules, []byte("queues:\n  default:\n    rules:\n      - name: a\n        sya: [hi]\n"), 0o644))
		code, _, errOut := runCmd(t, "qa", "score", good, "--rules", rules)
		require.Equal(t, 1, code)
		require.Contains(t, errOut, rules+":5:9:")
	})
	t.Run("qa lint checks rules files", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "bad.yaml")
		require.NoError(t, os.WriteFile(bad, []byte("queues:\n  default:\n    rules:\n      - {name: a, max_silence: 3s, say: [hi]}\n"), 0o644))
		code, out, errOut := runCmd(t, "qa", "lint", qaRules, bad)
		require.Equal(t, 1, code)
		require.Contains(t, out, qaRules+": ok (1 queues, 7 rules)")
		require.Contains(t, errOut, bad+":4:10: rule \"a\": more than one check (say, max_silence)")
	})
	t.Run("a batch prints a summary and the failures", func(t *testing.T) {
		code, out, errOut := runCmd(t, "qa", "run", dir, "--rules", qaRules, "--workers", "1")
		require.Equal(t, 1, code)
		require.Contains(t, errOut, "3/3", "progress bar")
		require.Regexp(t, `a-good.wav\s+0:0\d\.\d\d\s+100.0\s+pass`, out)
		require.Regexp(t, `b-bad.wav\s+0:0\d\.\d\d\s+\d+\.\d\s+FAIL`, out)
		require.Regexp(t, `c-empty.wav\s+0:00.00\s+-\s+ERROR`, out)
		require.Contains(t, out, "3 recordings: 1 passed, 1 failed, 1 could not be scored")
		require.Contains(t, out, "c-empty.wav: recording empty: header only (44 bytes")
		require.Regexp(t, `b-bad.wav: critical rule failed: forbidden; failed: greeting, identity, forbidden at 0:0\d\.\d\d "[^"]*not my problem"`, out)
	})
}

func TestQAShowPrintsTheStoredScore(t *testing.T) {
	url := pgtest.NewMigratedDatabase(t, recordings.Migrations)
	ctx := context.Background()
	pool, err := store.Open(ctx, url)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
	require.NoError(t, err)
	pipe, err := recordings.NewPipeline(recordings.Config{}, pool, recordings.PipelineOptions{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	call := recordings.Call{CallID: "call-7", Caller: "+4930123456", Agent: "sam", Queue: "billing", FlowPath: "hotline/billing",
		Start: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC), Duration: 10 * time.Second,
		Path: headerOnlyWAV(t, filepath.Join(t.TempDir(), "call-7.wav"))}
	_, err = pipe.Submit(ctx, (*river.Client[pgx.Tx])(client), call)
	require.Error(t, err)

	code, out, errOut := runCmd(t, "qa", "show", "call-7", "--database", url)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "call call-7  caller +4930123456  agent sam  queue billing  flow hotline/billing")
	require.Contains(t, out, "recording check: empty: header only (44 bytes")
	require.Contains(t, out, "FAIL (recording empty: header only")

	code, _, errOut = runCmd(t, "qa", "show", "call-8", "--database", url)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, `call "call-8"`)
	require.Contains(t, errOut, "not found")
	require.Contains(t, errOut, "ivrd calls list shows recent calls")
}
