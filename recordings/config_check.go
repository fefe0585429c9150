package recordings

import (
	"errors"
	"fmt"

	"github.com/ivrd/ivrd/recordings/recname"
)

// Validate checks the recordings: section: destinations (names, types, URLs), a rules file
// that loads, and no negative durations. Errors name the key to fix.
func (c Config) Validate() error {
	var errs []error
	if _, err := EffectiveDestinations(c); err != nil {
		errs = append(errs, err)
	}
	if _, err := recname.Parse(c.Name); err != nil {
		errs = append(errs, &fieldError{path: []any{"name"}, err: fmt.Errorf("template %q: %w", c.Name, err)})
	}
	if c.Rules != "" {
		if _, err := LoadRules(c.Rules); err != nil {
			errs = append(errs, fmt.Errorf("recordings.rules: %w", err))
		}
	}
	for _, d := range []struct {
		key string
		neg bool
	}{{"tolerance", c.Tolerance < 0}, {"retention", c.Retention < 0}, {"retry_base", c.RetryBase < 0}} {
		if d.neg {
			errs = append(errs, fmt.Errorf("recordings.%s is negative", d.key))
		}
	}
	if c.MaxAttempts < 0 {
		errs = append(errs, errors.New("recordings.max_attempts is negative"))
	}
	if c.Offline.Workers < 0 {
		errs = append(errs, errors.New("recordings.offline.workers is negative; 0 means cores - 1"))
	}
	return errors.Join(errs...)
}

// fieldError is a problem with one key of the section; FieldPath lets `ivrd config check`
// report it at that key's line and column.
type fieldError struct {
	path []any
	err  error
}

func (e *fieldError) Error() string    { return e.err.Error() }
func (e *fieldError) Unwrap() error    { return e.err }
func (e *fieldError) FieldPath() []any { return e.path }
