package sms

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Renderer renders a template text with variables. Flows use the same {{...}} syntax
// (package ivr/expr); NewSender takes any Renderer so the two stay one language.
type Renderer interface {
	Render(text string, vars map[string]any) (string, error)
}

// ErrNoTemplate is returned when a template is not defined for any usable language.
var ErrNoTemplate = errors.New("template not defined")

// PlainRenderer replaces {{ name }} and {{ name.sub }} with the variable's value; a missing
// variable is an error. It is the renderer used when none is given.
type PlainRenderer struct{}

var plainVarRE = regexp.MustCompile(`\{\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\}\}`)

// Render implements Renderer.
func (PlainRenderer) Render(text string, vars map[string]any) (string, error) {
	var missing []string
	out := plainVarRE.ReplaceAllStringFunc(text, func(m string) string {
		name := plainVarRE.FindStringSubmatch(m)[1]
		v, ok := lookupVar(vars, name)
		if !ok {
			missing = append(missing, name)
			return m
		}
		return fmt.Sprint(v)
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("template variable(s) %s not set", strings.Join(missing, ", "))
	}
	return out, nil
}

func lookupVar(vars map[string]any, name string) (any, bool) {
	var cur any = vars
	for _, part := range strings.Split(name, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	return cur, true
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
