package ivr

import (
	"fmt"
	"io"
	"strings"
)

// GraphFormat is an output format of WriteGraph.
type GraphFormat string

// Graph formats.
const (
	GraphMermaid GraphFormat = "mermaid" // paste into a Markdown page (```mermaid)
	GraphDOT     GraphFormat = "dot"     // Graphviz: dot -Tsvg
)

// WriteGraph draws the flow's steps and the ways between them.
func WriteGraph(w io.Writer, f *Flow, format GraphFormat) error {
	switch format {
	case GraphMermaid:
		return writeMermaid(w, f)
	case GraphDOT:
		return writeDOT(w, f)
	}
	return fmt.Errorf("unknown graph format %q: use mermaid or dot", format)
}

// stepDetail is the second line of a step's box: its kind and main argument.
func stepDetail(s *Step) string {
	d := string(s.Kind)
	switch s.Kind {
	case KindQueue:
		d += " " + s.Queue.Name
	case KindHours:
		d += " " + s.Hours.CalendarName
	case KindCall:
		d += " " + s.Call.FlowName
	case KindTransfer:
		d += " " + s.Transfer.To.String()
	case KindIf:
		d += " " + s.If.Cond.String()
	case KindSMS:
		if s.SMS.Template != "" {
			d += " " + s.SMS.Template
		}
	case KindInput:
		d += " → vars." + s.Input.Into
	case KindLookup:
		d += " " + s.Lookup.Method
	case KindHangup:
		if s.Hangup.Cause != DefaultHangupCause {
			d += " " + s.Hangup.Cause
		}
	case KindRecord:
		if s.Record.Stop {
			d += " stop"
		} else {
			d += " start"
		}
	}
	if len(d) > 60 {
		d = d[:57] + "..."
	}
	if s.Tag != "" {
		d += " (tag " + s.Tag + ")"
	}
	return d
}

func mermaidText(s string) string {
	r := strings.NewReplacer(`"`, "#quot;", "|", "#124;", "<", "#lt;", ">", "#gt;", "\n", " ")
	return r.Replace(s)
}

func writeMermaid(w io.Writer, f *Flow) error {
	var b strings.Builder
	fmt.Fprintf(&b, "---\ntitle: %s\n---\nflowchart TD\n", mermaidText(f.Name))
	for _, s := range f.Steps {
		label := fmt.Sprintf(`"%s<br/><small>%s</small>"`, mermaidText(s.Name), mermaidText(stepDetail(s)))
		open, close := "[", "]"
		switch s.Kind {
		case KindMenu, KindInput, KindLanguage:
			open, close = "[/", "/]"
		case KindIf, KindSwitch, KindHours:
			open, close = "{", "}"
		case KindQueue, KindTransfer:
			open, close = "([", "])"
		case KindHangup, KindReturn:
			open, close = "((", "))"
		case KindCall:
			open, close = "[[", "]]"
		}
		fmt.Fprintf(&b, "  s%d%s%s%s\n", s.Index, open, label, close)
	}
	for _, s := range f.Steps {
		for _, e := range s.Edges() {
			fmt.Fprintf(&b, "  s%d -->|\"%s\"| s%d\n", s.Index, mermaidText(e.Label), e.To.Index)
		}
	}
	if f.Start != nil {
		fmt.Fprintf(&b, "  style s%d stroke-width:3px\n", f.Start.Index)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func dotText(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

func writeDOT(w io.Writer, f *Flow) error {
	var b strings.Builder
	fmt.Fprintf(&b, "digraph \"%s\" {\n  rankdir=TB;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n", dotText(f.Name))
	for _, s := range f.Steps {
		shape := "box"
		switch s.Kind {
		case KindMenu, KindInput, KindLanguage:
			shape = "parallelogram"
		case KindIf, KindSwitch, KindHours:
			shape = "diamond"
		case KindQueue, KindTransfer:
			shape = "doubleoctagon"
		case KindHangup, KindReturn:
			shape = "circle"
		case KindCall:
			shape = "box3d"
		}
		extra := ""
		if s == f.Start {
			extra = ", penwidth=3"
		}
		fmt.Fprintf(&b, "  s%d [label=\"%s\\n%s\", shape=%s%s];\n", s.Index, dotText(s.Name), dotText(stepDetail(s)), shape, extra)
	}
	for _, s := range f.Steps {
		for _, e := range s.Edges() {
			fmt.Fprintf(&b, "  s%d -> s%d [label=\"%s\"];\n", s.Index, e.To.Index, dotText(e.Label))
		}
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}
