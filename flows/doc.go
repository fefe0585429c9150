// Package flows holds the YAML flows that ship with ivrd (the bank hotline and the callback
// flow), embedded so `ivrd demo` runs without files, and their scenario tests.
package flows

import "embed"

// FS holds the shipped flow files and their scenario tests.
//
//go:embed *.yaml
var FS embed.FS
