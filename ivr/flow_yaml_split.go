package ivr

import (
	"bytes"
	"regexp"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/parser"
)

// goccy/go-yaml parses a block mapping in time and memory quadratic in its number of keys
// (each key re-appends all the keys after it), so a flow with thousands of steps would take
// far longer to parse than to check. parseFlowYAML therefore parses a big steps: mapping
// one step at a time and joins the pieces into the same AST, with the same positions. Any
// doubt (flow style, tabs, a piece that does not parse alone) falls back to parsing the
// whole file at once, which also gives YAML syntax errors exactly as the parser words them.

// splitMinLines is the size from which steps are parsed one at a time.
const splitMinLines = 400

// splitGroup is how many steps are parsed at a time.
const splitGroup = 32

func parseFlowYAML(data []byte) (*ast.File, error) {
	if bytes.Count(data, []byte{'\n'}) >= splitMinLines {
		if f, ok := parseSplit(data); ok {
			return f, nil
		}
	}
	return parser.ParseBytes(data, 0, parser.AllowDuplicateMapKey())
}

var stepsLineRE = regexp.MustCompile(`^steps:[ ]*(#.*)?$`)

type lineSpan struct{ start, end int } // byte offsets, end exclusive (after the '\n')

// parseSplit parses data with its steps: mapping split into one piece per step; ok is false
// when the file does not have the simple shape this needs.
func parseSplit(data []byte) (*ast.File, bool) {
	var lines []lineSpan
	for off := 0; off < len(data); {
		end := bytes.IndexByte(data[off:], '\n')
		if end < 0 {
			end = len(data)
		} else {
			end += off + 1
		}
		lines = append(lines, lineSpan{off, end})
		off = end
	}
	text := func(i int) []byte { return bytes.TrimRight(data[lines[i].start:lines[i].end], "\r\n") }
	indent := func(b []byte) int { return len(b) - len(bytes.TrimLeft(b, " ")) }
	blank := func(b []byte) bool {
		t := bytes.TrimLeft(b, " ")
		return len(t) == 0 || t[0] == '#'
	}

	stepsAt := -1
	for i := range lines {
		l := text(i)
		if bytes.HasPrefix(l, []byte("---")) || bytes.HasPrefix(l, []byte("...")) || bytes.IndexByte(l, '\t') >= 0 {
			return nil, false
		}
		if stepsLineRE.Match(l) {
			if stepsAt >= 0 {
				return nil, false
			}
			stepsAt = i
		}
	}
	if stepsAt < 0 {
		return nil, false
	}
	// The body of steps: runs until the next line at column 0.
	bodyEnd := len(lines)
	child := -1
	var starts []int
	for i := stepsAt + 1; i < len(lines); i++ {
		l := text(i)
		if blank(l) {
			continue
		}
		n := indent(l)
		if n == 0 {
			bodyEnd = i
			break
		}
		if child < 0 {
			child = n
		}
		switch {
		case n < child:
			return nil, false
		case n == child:
			if l[n] == '-' || l[n] == '{' || l[n] == '[' || l[n] == '?' {
				return nil, false
			}
			starts = append(starts, i)
		}
	}
	if len(starts) < 2 {
		return nil, false
	}

	// The rest of the file, with the body replaced by empty lines (so lines stay put).
	bodyFrom, bodyTo := lines[stepsAt].end, len(data)
	if bodyEnd < len(lines) {
		bodyTo = lines[bodyEnd].start
	}
	rest := make([]byte, 0, bodyFrom+(bodyEnd-stepsAt-1)+len(data)-bodyTo)
	rest = append(rest, data[:bodyFrom]...)
	rest = append(rest, bytes.Repeat([]byte{'\n'}, bodyEnd-stepsAt-1)...)
	rest = append(rest, data[bodyTo:]...)
	// Steps are parsed in groups of splitGroup (small enough that the quadratic cost does
	// not show, big enough that setting up the parser does not either), the groups side by
	// side on the machine's cores.
	type group struct {
		first, n int
		values   []*ast.MappingValueNode
		ok       bool
	}
	var groups []*group
	for k := 0; k < len(starts); k += splitGroup {
		groups = append(groups, &group{first: k, n: min(splitGroup, len(starts)-k)})
	}
	parseGroup := func(g *group) {
		first := starts[g.first]
		last := bodyEnd
		if g.first+g.n < len(starts) {
			last = starts[g.first+g.n]
		}
		from, to := lines[first].start, lines[last-1].end
		tokens := lexer.Tokenize(string(data[from:to]))
		for _, tk := range tokens {
			if tk.Position != nil {
				tk.Position.Line += first // columns are unchanged; offsets are not used
			}
		}
		piece, err := parser.Parse(tokens, 0, parser.AllowDuplicateMapKey())
		if err != nil || len(piece.Docs) != 1 {
			return
		}
		switch b := piece.Docs[0].Body.(type) {
		case *ast.MappingNode:
			if len(b.Values) == g.n && !b.IsFlowStyle {
				g.values, g.ok = b.Values, true
			}
		case *ast.MappingValueNode:
			if g.n == 1 {
				g.values, g.ok = []*ast.MappingValueNode{b}, true
			}
		}
	}
	workers := min(runtime.GOMAXPROCS(0), len(groups))
	var wg sync.WaitGroup
	var next atomic.Int64
	for range workers {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(len(groups)); i = next.Add(1) - 1 {
				parseGroup(groups[i])
			}
		})
	}
	// The rest of the file is parsed on this goroutine while the workers parse the steps.
	file, stepsValue := parseRest(rest)
	wg.Wait()
	if stepsValue == nil {
		return nil, false
	}
	values := make([]*ast.MappingValueNode, 0, len(starts))
	for _, g := range groups {
		if !g.ok {
			return nil, false
		}
		values = append(values, g.values...)
	}
	stepsValue.Value = ast.Mapping(values[0].GetToken(), false, values...)
	return file, true
}

// parseRest parses the file without the body of steps: and returns it with its steps: entry;
// steps is nil when the file is not a one-document mapping with an empty steps: key.
func parseRest(rest []byte) (file *ast.File, steps *ast.MappingValueNode) {
	file, err := parser.ParseBytes(rest, 0, parser.AllowDuplicateMapKey())
	if err != nil || len(file.Docs) != 1 {
		return nil, nil
	}
	top, ok := file.Docs[0].Body.(*ast.MappingNode)
	if !ok {
		return nil, nil
	}
	var stepsValue *ast.MappingValueNode
	for _, mv := range top.Values {
		if k, ok := mv.Key.(*ast.StringNode); ok && k.Value == "steps" {
			stepsValue = mv
		}
	}
	if stepsValue == nil || !isNull(stepsValue.Value) {
		return nil, nil
	}
	return file, stepsValue
}
