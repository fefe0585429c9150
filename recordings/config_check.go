package recordings

import (
	"errors"
	"fmt"
)

// Validate checks the recordings: section: destinations (names, types, URLs), a rules file
// that loads, and no negative durations. Errors name the key to fix.
func (c Config) Validate() error {
	var errs []error
	if _, err := EffectiveDestinations(c); err != nil {
		errs = append(errs, err)
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
