package ivr

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// FlowSource gives the runtime the flow a new call runs. The runtime asks once per call (and
// once per subflow it enters without a resolved target) and keeps the *Flow it got for the
// rest of that call, so replacing a flow affects only calls that start afterwards.
type FlowSource interface {
	// Flow returns the current version of the flow called name, and its version string
	// (e.g. ContentVersion of the file), which the call record keeps.
	Flow(name string) (flow *Flow, version string, err error)
}

// ErrUnknownFlow is wrapped by FlowSource errors for a name no flow has.
var ErrUnknownFlow = errors.New("unknown flow")

// FlowSet is a FlowSource whose flows can be swapped at any time (hot reload): Replace
// installs a whole new set atomically; calls in progress keep the *Flow they started with.
// The zero FlowSet is empty and ready to use.
type FlowSet struct {
	mu  sync.Mutex // serialises writers
	cur atomic.Pointer[map[string]VersionedFlow]
}

// VersionedFlow is a flow with its version string.
type VersionedFlow struct {
	Flow    *Flow
	Version string
}

// NewFlowSet returns a FlowSet holding flows.
func NewFlowSet(flows ...VersionedFlow) *FlowSet {
	s := &FlowSet{}
	s.Replace(flows...)
	return s
}

// Flow implements FlowSource.
func (s *FlowSet) Flow(name string) (*Flow, string, error) {
	m := s.cur.Load()
	if m != nil {
		if vf, ok := (*m)[name]; ok {
			return vf.Flow, vf.Version, nil
		}
	}
	return nil, "", fmt.Errorf("flow %q: %w (loaded: %s)", name, ErrUnknownFlow, strings.Join(s.Names(), ", "))
}

// Replace makes flows the whole set: flows not listed are gone for new calls.
func (s *FlowSet) Replace(flows ...VersionedFlow) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := make(map[string]VersionedFlow, len(flows))
	for _, f := range flows {
		m[f.Flow.Name] = f
	}
	s.cur.Store(&m)
}

// Put adds or replaces one flow, keeping the others.
func (s *FlowSet) Put(f VersionedFlow) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.cur.Load()
	m := make(map[string]VersionedFlow)
	if old != nil {
		for k, v := range *old {
			m[k] = v
		}
	}
	m[f.Flow.Name] = f
	s.cur.Store(&m)
}

// Names lists the flows in the set, sorted.
func (s *FlowSet) Names() []string {
	m := s.cur.Load()
	if m == nil {
		return nil
	}
	out := make([]string, 0, len(*m))
	for k := range *m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Version returns the version of the named flow ("" when absent).
func (s *FlowSet) Version(name string) string {
	m := s.cur.Load()
	if m == nil {
		return ""
	}
	return (*m)[name].Version
}

// ContentVersion is a flow version derived from the file's bytes: the first 12 hex digits of
// its SHA-256. Two loads of the same file give the same version.
func ContentVersion(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:6])
}
