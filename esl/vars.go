package esl

import (
	"fmt"
	"sort"
	"strings"
)

// formatVars renders channel variables for a dial string: {a=1,b='two words'} (or [..] for
// one leg). Commas in values are escaped; values with spaces are single-quoted. Names are
// sorted so the string is stable. It refuses what FreeSWITCH could not parse back.
func formatVars(open, close byte, vars map[string]string) (string, error) {
	if len(vars) == 0 {
		return "", nil
	}
	names := make([]string, 0, len(vars))
	for k := range vars {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteByte(open)
	for i, k := range names {
		v := vars[k]
		if k == "" || strings.ContainsAny(k, "=,{}[]' \t\r\n") {
			return "", fmt.Errorf("%w: channel variable name %q", ErrBadArgument, k)
		}
		if strings.ContainsAny(v, "'\r\n{}[]") {
			return "", fmt.Errorf("%w: channel variable %s: value %q may not contain quotes, brackets or newlines", ErrBadArgument, k, v)
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k)
		b.WriteByte('=')
		v = strings.ReplaceAll(v, ",", `\,`)
		if strings.ContainsAny(v, " \t") {
			v = "'" + v + "'"
		}
		b.WriteString(v)
	}
	b.WriteByte(close)
	return b.String(), nil
}
