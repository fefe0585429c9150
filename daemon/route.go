package daemon

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ivrd/ivrd/config"
)

// FlowVar is the channel variable that names the flow for a call, ahead of any route: set it
// in FreeSWITCH's dialplan (`<action application="set" data="ivrd_flow=callback"/>`) or on an
// originate ({ivrd_flow=callback}) to choose the flow of the call.
const FlowVar = "ivrd_flow"

// Router picks the flow for a call from its called number: an exact route first, then the
// longest prefix route ("08*"), then the default flow.
type Router struct {
	exact    map[string]string
	prefixes []prefixRoute // longest first
	def      string
}

type prefixRoute struct{ prefix, flow string }

// NewRouter builds a router from flows.routes and flows.default. A route without a number or
// flow, or a number routed twice, is an error naming it.
func NewRouter(f config.Flows) (*Router, error) {
	r := &Router{exact: map[string]string{}, def: f.Default}
	seen := map[string]bool{}
	for i, rt := range f.Routes {
		where := fmt.Sprintf("flows.routes[%d]", i)
		if rt.Number == "" {
			return nil, fmt.Errorf("%s: no number: give the called number (or a prefix ending in '*')", where)
		}
		if rt.Flow == "" {
			return nil, fmt.Errorf("%s (%s): no flow: name the flow that answers it", where, rt.Number)
		}
		if seen[rt.Number] {
			return nil, fmt.Errorf("%s: number %q is routed twice; keep one route per number", where, rt.Number)
		}
		seen[rt.Number] = true
		if p, ok := strings.CutSuffix(rt.Number, "*"); ok {
			r.prefixes = append(r.prefixes, prefixRoute{p, rt.Flow})
			continue
		}
		r.exact[rt.Number] = rt.Flow
	}
	sort.SliceStable(r.prefixes, func(i, j int) bool { return len(r.prefixes[i].prefix) > len(r.prefixes[j].prefix) })
	return r, nil
}

// Flow returns the flow for a call to called ("" when no route matches and there is no
// default).
func (r *Router) Flow(called string) string {
	if f, ok := r.exact[called]; ok {
		return f
	}
	for _, p := range r.prefixes {
		if strings.HasPrefix(called, p.prefix) {
			return p.flow
		}
	}
	return r.def
}

// Flows lists every flow the routes name, sorted, so New can check they exist.
func (r *Router) Flows() []string {
	set := map[string]bool{}
	for _, f := range r.exact {
		set[f] = true
	}
	for _, p := range r.prefixes {
		set[p.flow] = true
	}
	if r.def != "" {
		set[r.def] = true
	}
	out := make([]string, 0, len(set))
	for f := range set {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}
