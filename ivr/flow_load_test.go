package ivr

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"
)

func errorLines(ds Diagnostics) []string {
	var out []string
	for _, d := range ds {
		if d.Severity == SevError {
			out = append(out, d.String())
		}
	}
	return out
}

func TestEveryMistakeInAFileIsReported(t *testing.T) {
	t.Parallel()
	b := newLintBundle(t)
	file := filepath.Join("testdata", "flows", "many_mistakes.yaml")
	set, ds := LoadFiles(b.cat, file)
	require.Nil(t, set)
	want := []string{
		file + `:12:11: error: unknown prompt "welcom" in step "start" (did you mean "welcome"?)`,
		file + `:18:12: error: unknown step "balanse" in menu option 1 of step "main" (did you mean "balance"?)`,
		file + `:20:9: error: duplicate menu key "2": it is already defined at line 19, column 9; rename or remove one of them`,
		file + `:21:7: error: unknown key "timout" in menu in step "main" (did you mean "timeout"?); allowed keys: prompt, timeout, digit_timeout, tries, invalid_prompt, timeout_prompt, barge_in, options, on_fail`,
		file + `:24:49: error: bad regex "[0-9" in step "balance": missing closing ]: ` + "`[0-9`",
		file + `:27:23: error: bad expression in if of step "cards": write "and" instead of &&`,
		file + `:30:12: error: unknown queue "generl" (did you mean "general"?); the known ones are in queues: of ivrd.yaml`,
		file + `:31:3: error: duplicate step "agent": it is already defined at line 29, column 3; rename or remove one of them`,
	}
	require.Equal(t, want, errorLines(ds))
}

func TestCallStepsAreResolvedAcrossFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, src string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644))
	}
	write("main.yaml", "steps:\n  start:\n    call: verify\n    next: bye\n  bye:\n    hangup:\n")
	write("verify.yaml", "steps:\n  start:\n    play: \"Hello there\"\n    next: done\n  done:\n    return:\n")
	write("main_test.yaml", "this is a scenario file: not a flow [")
	set, ds := LoadFiles(nil, dir)
	require.Empty(t, errorLines(ds))
	require.Len(t, set.Flows, 2, "the scenario file is skipped")
	main := set.ByName["main"]
	require.Same(t, set.ByName["verify"], main.ByName["start"].Call.Flow)

	t.Run("an unknown flow", func(t *testing.T) {
		t.Parallel()
		file := filepath.Join("testdata", "flows", "multi", "main.yaml")
		set, ds := LoadFiles(nil, file, filepath.Join("testdata", "flows", "multi", "verify.yaml"))
		require.Nil(t, set)
		require.Equal(t, []string{file + `:6:11: error: step "again" calls unknown flow "verfy" (did you mean "verify"?)`}, errorLines(ds))
	})
	t.Run("two flows with one name", func(t *testing.T) {
		t.Parallel()
		dir := filepath.Join("testdata", "flows", "multi")
		_, ds := LoadFiles(nil, dir)
		lines := errorLines(ds)
		require.Contains(t, lines, filepath.Join(dir, "verify.yaml")+`:1:1: error: flow name "verify" is also used by `+filepath.Join(dir, "other.yaml")+`; give one of them another flow: name`)
	})
	t.Run("a flow calling itself", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "loop.yaml"), []byte("steps:\n  start:\n    call: loop\n    next: bye\n  bye:\n    hangup:\n"), 0o644))
		_, ds := LoadFiles(nil, dir)
		require.Len(t, errorLines(ds), 1)
		require.Contains(t, errorLines(ds)[0], `step "start" calls its own flow "loop"; use goto to repeat steps`)
	})
	t.Run("a missing path", func(t *testing.T) {
		t.Parallel()
		_, ds := LoadFiles(nil, filepath.Join(dir, "nope"))
		require.Len(t, errorLines(ds), 1)
		require.Contains(t, errorLines(ds)[0], "cannot open")
	})
}

func TestLoadFSFindsSoundsInTheFileSystem(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"flows/hotline.yaml":       {Data: []byte("steps:\n  start:\n    play: sounds/hi.wav\n    next: bye\n  bye:\n    hangup:\n")},
		"flows/sounds/hi.wav":      {Data: testWAV(8000, 1500*1e6)},
		"flows/broken.yaml":        {Data: []byte("steps:\n  start:\n    play: sounds/missing.wav\n")},
		"flows/hotline_test.yaml":  {Data: []byte("not a flow")},
		"flows/README.md":          {Data: []byte("# not a flow")},
		"flows/subdir/other.yaml":  {Data: []byte("not loaded: subfolders are not flows")},
		"flows/.hidden.yaml":       {Data: []byte("not loaded")},
		"flows/notes/flow_ok.yaml": {Data: []byte("not loaded")},
	}
	set, ds := LoadFS(fsys, "flows", nil)
	require.Nil(t, set)
	require.Equal(t, []string{`flows/broken.yaml:3:11: error: sound file "sounds/missing.wav" not found next to the flow file; check the name, or use say: "..." for text-to-speech`}, errorLines(ds))

	delete(fsys, "flows/broken.yaml")
	set, ds = LoadFS(fsys, "flows", nil)
	require.Empty(t, errorLines(ds))
	a := set.ByName["hotline"].ByName["start"].Play.Audio[0]
	require.Equal(t, "flows/sounds/hi.wav", a.Path)
	require.Equal(t, int64(1500e6), int64(a.Duration))

	// SkipFileCheck: flows run where the sounds live on the media server.
	fsys["flows/broken.yaml"] = &fstest.MapFile{Data: []byte("steps:\n  start:\n    play: sounds/missing.wav\n")}
	set, ds = LoadFS(fsys, "flows", &Catalog{SkipFileCheck: true})
	require.Empty(t, errorLines(ds))
	require.Len(t, set.Flows, 2)
}

func TestSoundsDirIsSearchedAfterTheFlowsFolder(t *testing.T) {
	t.Parallel()
	flows, sounds := t.TempDir(), t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(sounds, "en"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(sounds, "en", "hello.wav"), testWAV(16000, 3e9), 0o644))
	file := filepath.Join(flows, "f.yaml")
	require.NoError(t, os.WriteFile(file, []byte("steps:\n  start:\n    play: en/hello.wav\n    next: bye\n  bye:\n    hangup:\n"), 0o644))

	_, ds := LoadFiles(&Catalog{}, file)
	require.Len(t, errorLines(ds), 1)

	set, ds := LoadFiles(&Catalog{SoundsDir: sounds}, file)
	require.Empty(t, errorLines(ds))
	a := set.Flows[0].ByName["start"].Play.Audio[0]
	require.Equal(t, filepath.Join(sounds, "en", "hello.wav"), a.Path)
	require.Equal(t, int64(3e9), int64(a.Duration))
}

func TestParseFlowReadsFromMemory(t *testing.T) {
	t.Parallel()
	f, ds := ParseFlow("mem/x.yaml", []byte("flow: x\nsteps:\n  start:\n    hangup:\n"), nil)
	require.Empty(t, ds)
	require.Equal(t, "x", f.Name)
	_, ds = ParseFlow("mem/x.yaml", []byte("steps:\n  start:\n    hangup: [\n"), nil)
	require.True(t, ds.HasErrors())
	require.True(t, strings.HasPrefix(ds[0].String(), "mem/x.yaml:"), ds[0].String())
	err := ds.Err()
	var fe *FlowError
	require.ErrorAs(t, err, &fe)
	require.Contains(t, err.Error(), "YAML syntax error")
}

// A flow and the subflows it calls share their variables: each may read what the other sets.
func TestSubflowsShareVariables(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, src string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(src), 0o644))
		return p
	}
	main := write("main.yaml", `vars:
  customer: ""
steps:
  start:
    call: verify_pin
    next: check
  check:
    if: vars.pin_ok == true
    then: bye
    else: bye
  bye:
    hangup:
`)
	write("verify_pin.yaml", `steps:
  start:
    input: {prompt: "Enter the PIN for {{vars.customer}}", into: pin, on_fail: done}
    next: ok
  ok:
    set: {pin_ok: "{{vars.pin == '1234'}}"}
    next: done
  done:
    return:
`)
	set, ds := LoadFiles(nil, dir)
	require.Empty(t, errorLines(ds))
	require.Len(t, set.Flows, 2)
	// The time spent in the subflow, up to its return step, counts for the call: step: here
	// the PIN input, 3 tries of (prompt + 5s for the first digit + 19 x 2s between digits).
	verify := set.ByName["verify_pin"]
	require.Equal(t, StepCost(verify.ByName["start"], "next"), StepCost(set.ByName["main"].ByName["start"], "next"))
	require.Greater(t, StepCost(set.ByName["main"].ByName["start"], "next"), 2*time.Minute)

	// Alone, main.yaml cannot know vars.pin_ok.
	_, ds = ParseFlow(main, mustRead(t, main), nil)
	require.Equal(t, []string{main + `:8:9: error: unknown variable vars.pin_ok; give it a starting value under vars: or set it in a step before it is used`}, errorLines(ds))

	// A typo is still an error, with a hint from the variables of both flows.
	write("main.yaml", strings.Replace(string(mustRead(t, main)), "vars.pin_ok", "vars.pin_okk", 1))
	_, ds = LoadFiles(nil, dir)
	require.Equal(t, []string{main + `:8:9: error: unknown variable vars.pin_okk (did you mean vars.pin_ok?); give it a starting value under vars: or set it in a step before it is used`}, errorLines(ds))
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	return b
}
