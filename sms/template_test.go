package sms

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestExprRenderer(t *testing.T) {
	t.Parallel()
	r := &ExprRenderer{}
	tests := []struct {
		name, text string
		vars       map[string]any
		want, err  string
	}{
		{"plain name", "Call at {{eta}}.", map[string]any{"eta": "10:30"}, "Call at 10:30.", ""},
		{"nested map, as flows pass vars", "Hi {{vars.name}}", map[string]any{"vars": map[string]any{"name": "Ana"}}, "Hi Ana", ""},
		{"string map", "Hi {{vars.name}}", map[string]any{"vars": map[string]string{"name": "Li"}}, "Hi Li", ""},
		{"flat dotted key", "Ref {{call.id}}", map[string]any{"call.id": "c-9"}, "Ref c-9", ""},
		{"filters of the flow language", "Due {{amount | money}}", map[string]any{"amount": 12.5}, "Due 12.50", ""},
		{"numbers", "{{eta_minutes}} min", map[string]any{"eta_minutes": 25}, "25 min", ""},
		{"a hole is an error, not a blank", "Hi {{vars.name}}", map[string]any{}, "", "vars.name not set"},
		{"syntax error names the template", "Hi {{name", nil, "", "not closed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := r.Render(tc.text, tc.vars)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}
