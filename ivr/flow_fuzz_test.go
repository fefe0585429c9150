package ivr

import (
	"io"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
)

// FuzzParseFlow feeds arbitrary bytes to the flow parser: it must never panic, every
// diagnostic must name a place in the file, and a flow returned without errors must be
// fully resolved (analysis and graphs walk it). Crashers found are kept in
// testdata/fuzz/FuzzParseFlow and run as regression tests by plain `go test`.
//
//	go test ./ivr -run '^$' -fuzz FuzzParseFlow -fuzztime 2m
func FuzzParseFlow(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("..", "flows", "*.yaml"))
	more, _ := filepath.Glob(filepath.Join("testdata", "flows", "*.yaml"))
	for _, p := range append(seeds, more...) {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(allKinds))
	f.Add([]byte(graphFlow))
	f.Add([]byte("steps:\n  start:\n    play: &a [x, *a]\n"))
	f.Add([]byte("steps: {start: {goto: start}}"))
	cal, err := ParseCalendar("bank", []byte("hours:\n  daily: 08:00-20:00\n"))
	if err != nil {
		f.Fatal(err)
	}
	cat := &Catalog{Calendars: map[string]*Calendar{"bank": cal}, Queues: NameSet("general", "cards", "loans"),
		Templates: NameSet("card_services", "after_hours", "help")}
	fsys := fstest.MapFS{"sounds/welcome.wav": {Data: testWAV(8000, 1e9)}}
	f.Fuzz(func(t *testing.T, data []byte) {
		fl, ds := parseFlowData("f.yaml", data, fsys, ".", "", cat)
		for _, d := range ds {
			if d.Pos.File != "f.yaml" || d.Pos.Line < 0 || d.Msg == "" {
				t.Fatalf("diagnostic without a place or text: %+v", d)
			}
		}
		if fl == nil {
			if !ds.HasErrors() {
				t.Fatalf("no flow and no error")
			}
			return
		}
		if ds.HasErrors() {
			t.Fatalf("a flow returned with errors: %v", ds.Err())
		}
		if fl.Start == nil {
			t.Fatalf("a flow without a start step")
		}
		for _, s := range fl.Steps {
			for _, e := range s.Edges() {
				if fl.ByName[e.To.Name] != e.To {
					t.Fatalf("step %s: edge %s to a step outside the flow", s.Name, e.Label)
				}
			}
		}
		Analyze(fl, AnalyzeOptions{})
		if err := WriteGraph(io.Discard, fl, GraphMermaid); err != nil {
			t.Fatal(err)
		}
		if err := WriteGraph(io.Discard, fl, GraphDOT); err != nil {
			t.Fatal(err)
		}
	})
}
