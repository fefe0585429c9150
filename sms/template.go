package sms

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/ivrd/ivrd/ivr/expr"
)

// Renderer renders a template text with variables.
type Renderer interface {
	Render(text string, vars map[string]any) (string, error)
}

// ErrNoTemplate is returned when a template is not defined for any usable language.
var ErrNoTemplate = errors.New("template not defined")

// ExprRenderer renders texts in the template language of flows (package ivr/expr):
// {{eta}}, {{vars.name}}, {{amount | money}}. Unlike a flow prompt, a text must not go out
// with a hole in it: a name the template reads that vars does not hold is an error.
// Parsed templates are cached; it is safe for concurrent use. It is the default Renderer.
type ExprRenderer struct {
	cache sync.Map // text -> *expr.Template
}

// Render implements Renderer. vars["eta"] is {{eta}}; vars["vars"] (a map) gives {{vars.x}};
// a flat key "vars.x" works too.
func (r *ExprRenderer) Render(text string, vars map[string]any) (string, error) {
	t, err := r.parse(text)
	if err != nil {
		return "", err
	}
	env := varsEnv(vars)
	var missing []string
	for _, ref := range t.Refs() {
		if ref.NS == "now" {
			continue
		}
		if _, ok := env.Lookup(ref.NS, ref.Name); !ok {
			name := ref.NS
			if ref.Name != "" {
				name += "." + ref.Name
			}
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return "", fmt.Errorf("template variable(s) %s not set", strings.Join(missing, ", "))
	}
	return t.Render(env)
}

func (r *ExprRenderer) parse(text string) (*expr.Template, error) {
	if t, ok := r.cache.Load(text); ok {
		return t.(*expr.Template), nil
	}
	t, err := expr.ParseTemplate(text)
	if err != nil {
		return nil, fmt.Errorf("template %q: %w", text, err)
	}
	r.cache.Store(text, t)
	return t, nil
}

// varsEnv adapts template variables to expr.Env.
type varsEnv map[string]any

// Lookup implements expr.Env.
func (v varsEnv) Lookup(ns, name string) (expr.Value, bool) {
	if name == "" {
		x, ok := v[ns]
		return expr.FromAny(x), ok
	}
	if x, ok := v[ns+"."+name]; ok {
		return expr.FromAny(x), true
	}
	switch m := v[ns].(type) {
	case map[string]any:
		x, ok := m[name]
		return expr.FromAny(x), ok
	case map[string]string:
		x, ok := m[name]
		return expr.StringValue(x), ok
	}
	return expr.NullValue, false
}

// templates finds template texts by name and language.
type templates struct {
	byName      map[string]map[string]string
	defaultLang string
}

// text returns the template name in lang, else in the default language, else in any
// language (sorted, so the choice is stable), and the language chosen.
func (t templates) text(name, lang string) (string, string, error) {
	langs, ok := t.byName[name]
	if !ok || len(langs) == 0 {
		return "", "", fmt.Errorf("template %q: %w under sms.templates", name, ErrNoTemplate)
	}
	if s, ok := langs[lang]; ok {
		return s, lang, nil
	}
	if s, ok := langs[t.defaultLang]; ok {
		return s, t.defaultLang, nil
	}
	best := ""
	for l := range langs {
		if best == "" || l < best {
			best = l
		}
	}
	return langs[best], best, nil
}
