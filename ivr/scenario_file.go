package ivr

import "strings"

// IsScenarioFile reports whether name is a flow test (scenario) file: foo_test.yaml or
// foo_test.yml next to the flows. Flow loaders skip them; `ivrd flows test` runs them.
func IsScenarioFile(name string) bool {
	return strings.HasSuffix(name, "_test.yaml") || strings.HasSuffix(name, "_test.yml")
}
