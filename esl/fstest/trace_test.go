package fstest

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// traceStep is one block of a transcript: bytes the client wrote, or one message FreeSWITCH sent.
type traceStep struct {
	fromClient bool
	at         float64 // seconds since the capture started
	data       []byte
	m          *msg // parsed S->C message
}

// trace is one parsed transcript file.
type trace struct {
	name   string // file name without .txt
	path   string
	header string // the leading # comment lines
	steps  []traceStep
}

var blockRe = regexp.MustCompile(`(?m)^#### \[\+([0-9.]+)s\] (C->S|S->C)\s+\((\d+) bytes\)[^\n]*\n`)

// parseTrace reads a transcript in the README's format: "#### [+t] DIR (N bytes)" then N bytes
// verbatim. 05a is the special "S->C verbatim:" capture made with nc.
func parseTrace(path string) (*trace, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	tr := &trace{name: strings.TrimSuffix(filepath.Base(path), ".txt"), path: path}
	var hdr strings.Builder
	for _, l := range strings.SplitAfter(string(data), "\n") {
		if !strings.HasPrefix(l, "# ") && l != "#\n" {
			break
		}
		hdr.WriteString(l)
	}
	tr.header = hdr.String()
	if i := bytes.Index(data, []byte("#### S->C verbatim:\n")); i >= 0 {
		tr.steps = append(tr.steps, traceStep{fromClient: true, data: []byte("connect\n\n")})
		rest := data[i+len("#### S->C verbatim:\n"):]
		br := bufio.NewReader(bytes.NewReader(rest))
		for {
			m, err := readMsg(br)
			if err != nil {
				break
			}
			tr.steps = append(tr.steps, traceStep{data: m.raw, m: m})
		}
		return tr, nil
	}
	pos := 0
	for {
		loc := blockRe.FindSubmatchIndex(data[pos:])
		if loc == nil {
			break
		}
		at, _ := strconv.ParseFloat(string(data[pos+loc[2]:pos+loc[3]]), 64)
		dir := string(data[pos+loc[4] : pos+loc[5]])
		n, _ := strconv.Atoi(string(data[pos+loc[6] : pos+loc[7]]))
		start := pos + loc[1]
		if start+n > len(data) {
			return nil, fmt.Errorf("%s: block at +%.3fs claims %d bytes past the end", path, at, n)
		}
		block := data[start : start+n]
		st := traceStep{fromClient: dir == "C->S", at: at, data: block}
		if !st.fromClient {
			m, err := readMsg(bufio.NewReader(bytes.NewReader(block)))
			if err != nil {
				return nil, fmt.Errorf("%s: message at +%.3fs: %w", path, at, err)
			}
			st.m = m
		}
		tr.steps = append(tr.steps, st)
		pos = start + n
	}
	if len(tr.steps) == 0 {
		return nil, fmt.Errorf("%s: no blocks", path)
	}
	return tr, nil
}

// messages returns the S->C messages.
func (tr *trace) messages() []*msg {
	var out []*msg
	for _, s := range tr.steps {
		if !s.fromClient {
			out = append(out, s.m)
		}
	}
	return out
}

// clientWrites returns the C->S blocks.
func (tr *trace) clientWrites() []string {
	var out []string
	for _, s := range tr.steps {
		if s.fromClient {
			out = append(out, string(s.data))
		}
	}
	return out
}

// sharedTraces is the work tree's folder of captured transcripts, when it exists (it does not
// in a fresh clone; testdata/traces is the copy that travels with the repository).
func sharedTraces() string {
	if d := os.Getenv("FSTEST_TRACES"); d != "" {
		return d
	}
	for _, d := range []string{"../../../shared/freeswitch/traces", "../../../../shared/freeswitch/traces"} {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d
		}
	}
	return ""
}

// traceFiles lists the transcripts by file name: the shared folder's when present (so newly
// captured traces are picked up at once), else this package's testdata copy.
func traceFiles() ([]string, error) {
	var dirs []string
	if d := sharedTraces(); d != "" {
		dirs = append(dirs, d)
	}
	dirs = append(dirs, filepath.Join("testdata", "traces"))
	byName := map[string]string{}
	for _, d := range dirs {
		files, err := filepath.Glob(filepath.Join(d, "*.txt"))
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			base := filepath.Base(f)
			if strings.HasSuffix(base, ".index.txt") {
				continue
			}
			if _, ok := byName[base]; !ok {
				byName[base] = f
			}
		}
	}
	var out []string
	for _, f := range byName {
		out = append(out, f)
	}
	sort.Strings(out)
	return out, nil
}

var (
	uuidRe  = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	dateRe  = regexp.MustCompile(`\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}`)
	digitRe = regexp.MustCompile(`\d+`)
	portRe  = regexp.MustCompile(`127\.0\.0\.1(:|%3A)\d+`)
)

// normalize removes what is unique per run: UUIDs (except the fixed aaaaaaaa-/bbbbbbbb-/0000…
// ones the client chose), dates.
func normalize(s string) string {
	s = uuidRe.ReplaceAllStringFunc(s, func(u string) string {
		if strings.HasPrefix(u, "aaaaaaaa-") || strings.HasPrefix(u, "bbbbbbbb-") || strings.HasPrefix(u, "0000") ||
			strings.HasPrefix(u, "11111111-") {
			return u
		}
		return "<uuid>"
	})
	s = portRe.ReplaceAllString(s, "127.0.0.1:PORT")
	return dateRe.ReplaceAllString(s, "<date>")
}
