package recordings

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// Rules is a QA rules file: a rule set per queue, and a default set for queues without one.
//
//	queues:
//	  default:
//	    pass_score: 80
//	    rules:
//	      - name: greeting
//	        say: ["thank you for calling first national bank"]
//	        within: 20s
//	        weight: 30
//	      - name: forbidden
//	        never_say: ["not my problem"]
//	        critical: true
//	      - {name: dead air, max_silence: 8s, weight: 10}
//	      - {name: talk-over, max_talk_over: 5s, weight: 10}
//	      - {name: length, min_duration: 30s, max_duration: 20m, weight: 5}
type Rules struct {
	// Queues maps a queue name to its rule set; "default" applies to every other queue.
	Queues map[string]*RuleSet `yaml:"queues"`
	// File is where the rules came from, for messages.
	File string `yaml:"-"`
}

// RuleSet is the rules one queue's calls are scored by.
type RuleSet struct {
	// PassScore is the score (0-100) a call needs to pass (default 80).
	PassScore float64 `yaml:"pass_score"`
	Rules     []*Rule `yaml:"rules"`
}

// Rule is one QA check. Exactly one kind of check per rule: say, never_say, max_silence,
// max_talk_over, or min_duration and/or max_duration.
type Rule struct {
	Name string `yaml:"name"`
	// Weight is the rule's share of the score (default 1).
	Weight float64 `yaml:"weight"`
	// Critical fails the call when this rule fails, whatever the score.
	Critical bool `yaml:"critical"`

	// Say passes when any of its phrases was said (e.g. alternative wordings of a greeting).
	Say []string `yaml:"say"`
	// Within limits Say to phrases that start within this time from the start of the call.
	Within time.Duration `yaml:"within"`
	// NeverSay fails when any of its phrases was said.
	NeverSay []string `yaml:"never_say"`
	// MaxSilence fails when nobody spoke for longer than this.
	MaxSilence time.Duration `yaml:"max_silence"`
	// MaxTalkOver fails when caller and agent spoke at once for longer than this in total
	// (stereo recordings only; on mono it cannot be measured and is left out of the score).
	MaxTalkOver time.Duration `yaml:"max_talk_over"`
	// MinDuration and MaxDuration bound the length of the call.
	MinDuration time.Duration `yaml:"min_duration"`
	MaxDuration time.Duration `yaml:"max_duration"`
}

// Rule kinds, as reported in results.
const (
	KindSay         = "say"
	KindNeverSay    = "never_say"
	KindMaxSilence  = "max_silence"
	KindMaxTalkOver = "max_talk_over"
	KindDuration    = "duration"
)

// Kind is which check the rule makes.
func (r *Rule) Kind() string {
	switch {
	case len(r.Say) > 0:
		return KindSay
	case len(r.NeverSay) > 0:
		return KindNeverSay
	case r.MaxSilence > 0:
		return KindMaxSilence
	case r.MaxTalkOver > 0:
		return KindMaxTalkOver
	case r.MinDuration > 0 || r.MaxDuration > 0:
		return KindDuration
	}
	return ""
}

// For returns the rule set for queue, or the default set.
func (r *Rules) For(queue string) (*RuleSet, error) {
	if rs, ok := r.Queues[queue]; ok {
		return rs, nil
	}
	if rs, ok := r.Queues["default"]; ok {
		return rs, nil
	}
	return nil, fmt.Errorf("%s: no rules for queue %q and no default rule set: add queues.%s or queues.default", r.File, queue, queue)
}

// LoadRules reads and checks a QA rules file.
func LoadRules(path string) (*Rules, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read QA rules: %w", err)
	}
	return ParseRules(path, data)
}

// RulesError is a mistake in a rules file, at File:Line:Col.
type RulesError struct {
	File      string
	Line, Col int
	Msg       string
}

func (e *RulesError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

// ParseRules decodes a rules file strictly (unknown keys and wrong types are errors) and
// checks every rule; errors are *RulesError naming name:line:col.
func ParseRules(name string, data []byte) (*Rules, error) {
	rules := &Rules{File: name}
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		var ye yaml.Error
		if errors.As(err, &ye) && ye.GetToken() != nil {
			p := ye.GetToken().Position
			return nil, &RulesError{File: name, Line: p.Line, Col: p.Column, Msg: ye.GetMessage()}
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := checkDurations(name, file); err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data), yaml.Strict())
	if err := dec.Decode(rules); err != nil {
		var ye yaml.Error
		if errors.As(err, &ye) && ye.GetToken() != nil {
			p := ye.GetToken().Position
			return nil, &RulesError{File: name, Line: p.Line, Col: p.Column, Msg: ye.GetMessage()}
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	at := func(path string, msg string, args ...any) error {
		e := &RulesError{File: name, Line: 1, Col: 1, Msg: fmt.Sprintf(msg, args...)}
		if p, err := yaml.PathString(path); err == nil {
			if n, err := p.FilterFile(file); err == nil && n != nil && n.GetToken() != nil {
				e.Line, e.Col = n.GetToken().Position.Line, n.GetToken().Position.Column
				if m, ok := n.(*ast.MappingNode); ok && len(m.Values) > 0 {
					e.Line, e.Col = m.Values[0].Key.GetToken().Position.Line, m.Values[0].Key.GetToken().Position.Column
				}
			}
		}
		return e
	}
	if len(rules.Queues) == 0 {
		return nil, at("$", "no queues: add `queues:` with a `default:` rule set")
	}
	queues := make([]string, 0, len(rules.Queues))
	for q := range rules.Queues {
		queues = append(queues, q)
	}
	sort.Strings(queues)
	for _, q := range queues {
		rs := rules.Queues[q]
		qpath := "$.queues." + quotePathKey(q)
		if rs == nil || len(rs.Rules) == 0 {
			return nil, at(qpath, "queue %q has no rules: add `rules:` with at least one rule", q)
		}
		if rs.PassScore == 0 {
			rs.PassScore = 80
		}
		if rs.PassScore < 0 || rs.PassScore > 100 {
			return nil, at(qpath+".pass_score", "pass_score %v out of range: use 0 to 100", rs.PassScore)
		}
		seen := map[string]bool{}
		for i, r := range rs.Rules {
			rpath := fmt.Sprintf("%s.rules[%d]", qpath, i)
			if r == nil {
				return nil, at(rpath, "empty rule: give it a name and one check")
			}
			if strings.TrimSpace(r.Name) == "" {
				return nil, at(rpath, "rule without a name: add `name:`")
			}
			if seen[r.Name] {
				return nil, at(rpath+".name", "rule name %q used twice in queue %q: names must be unique", r.Name, q)
			}
			seen[r.Name] = true
			if r.Weight < 0 {
				return nil, at(rpath+".weight", "rule %q: negative weight %v", r.Name, r.Weight)
			}
			if r.Weight == 0 {
				r.Weight = 1
			}
			if err := checkRuleKind(r); err != nil {
				return nil, at(rpath, "rule %q: %v", r.Name, err)
			}
			for j, p := range append(append([]string{}, r.Say...), r.NeverSay...) {
				if len(tokenize(p)) == 0 {
					return nil, at(rpath, "rule %q: phrase %d has no words", r.Name, j+1)
				}
			}
		}
	}
	return rules, nil
}

// durationKeys are the rule keys holding durations.
var durationKeys = map[string]bool{"within": true, "max_silence": true, "max_talk_over": true, "min_duration": true, "max_duration": true}

// checkDurations finds duration values time.ParseDuration rejects, before decoding: the decoder
// reports those without a position.
func checkDurations(name string, file *ast.File) error {
	for _, n := range ast.FilterFile(ast.MappingValueType, file) {
		mv := n.(*ast.MappingValueNode)
		if mv.Key == nil || !durationKeys[mv.Key.String()] {
			continue
		}
		s, ok := mv.Value.(*ast.StringNode)
		if !ok {
			continue
		}
		if _, err := time.ParseDuration(s.Value); err != nil {
			p := s.GetToken().Position
			return &RulesError{File: name, Line: p.Line, Col: p.Column,
				Msg: fmt.Sprintf("%s: invalid duration %q: write it like 30s, 2m or 1h30m", mv.Key.String(), s.Value)}
		}
	}
	return nil
}

func checkRuleKind(r *Rule) error {
	var kinds []string
	if len(r.Say) > 0 {
		kinds = append(kinds, "say")
	}
	if len(r.NeverSay) > 0 {
		kinds = append(kinds, "never_say")
	}
	if r.MaxSilence > 0 {
		kinds = append(kinds, "max_silence")
	}
	if r.MaxTalkOver > 0 {
		kinds = append(kinds, "max_talk_over")
	}
	if r.MinDuration > 0 || r.MaxDuration > 0 {
		kinds = append(kinds, "min_duration/max_duration")
	}
	switch {
	case len(kinds) == 0:
		return errors.New("no check: give it one of say, never_say, max_silence, max_talk_over, min_duration, max_duration")
	case len(kinds) > 1:
		return fmt.Errorf("more than one check (%s): split it into one rule per check", strings.Join(kinds, ", "))
	}
	if r.Within > 0 && len(r.Say) == 0 {
		return errors.New("`within` only applies to `say` rules")
	}
	if r.MinDuration > 0 && r.MaxDuration > 0 && r.MinDuration > r.MaxDuration {
		return fmt.Errorf("min_duration %s is longer than max_duration %s", r.MinDuration, r.MaxDuration)
	}
	return nil
}

func quotePathKey(k string) string {
	if strings.ContainsAny(k, ".[]'\" *$") {
		return "'" + strings.ReplaceAll(k, "'", "\\'") + "'"
	}
	return k
}
