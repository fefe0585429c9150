package ivr

// Catalog is what flows may refer to outside themselves: calendars, queues, SMS templates,
// hold treatments and other flows (for call:), plus where sound files live. The loader checks
// every name a flow uses against it.
//
// A nil map or set means "not known": names of that sort are then accepted unchecked (the
// linter says so once). An empty, non-nil one means "there are none": every name is an error.
type Catalog struct {
	Calendars map[string]*Calendar
	Queues    map[string]bool
	Templates map[string]bool
	// Holds are hold treatments defined outside flows (e.g. by the queue config).
	Holds map[string]*Hold
	// Flows are flow names that call: may use besides the flows loaded together.
	Flows map[string]bool
	// SoundsDir is where relative sound file paths are looked up when they are not found
	// next to the flow file. "" : only next to the flow file.
	SoundsDir string
	// SkipFileCheck turns off the check that sound files exist (for flows loaded from an
	// embedded file system at run time, where sounds live elsewhere).
	SkipFileCheck bool
}

// NameSet builds a set from names, for Catalog.Queues and Catalog.Templates.
func NameSet(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}
