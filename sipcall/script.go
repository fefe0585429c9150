package sipcall

import (
	"fmt"
	"strings"
	"time"
)

// Step is one step of a digit script: send Digits (one DTMF event each), or wait.
type Step struct {
	Digits string        // DTMF characters 0-9 * # A-D
	Wait   time.Duration // a pause, when Digits is empty
}

// ParseScript reads a digit script: comma-separated items, each a run of DTMF characters
// ("1", "5#", "1234#") or a pause ("wait 3s", "wait 500ms"). Spaces around items are ignored.
//
//	"1,wait 3s,2,5#"  sends 1, waits 3 s, sends 2, then 5 and #.
func ParseScript(s string) ([]Step, error) {
	var steps []Step
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	for i, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		switch {
		case item == "":
			return nil, fmt.Errorf("digits item %d is empty: remove the extra comma", i+1)
		case strings.HasPrefix(strings.ToLower(item), "wait"):
			arg := strings.TrimSpace(item[len("wait"):])
			d, err := time.ParseDuration(arg)
			if err != nil || d < 0 {
				return nil, fmt.Errorf("digits item %d %q: write a pause like \"wait 3s\" or \"wait 500ms\"", i+1, item)
			}
			steps = append(steps, Step{Wait: d})
		default:
			up := strings.ToUpper(item)
			for _, ch := range up {
				if !strings.ContainsRune("0123456789*#ABCD", ch) {
					return nil, fmt.Errorf("digits item %d %q: %q is not a DTMF digit (0-9 * # A-D; pauses are \"wait 3s\")", i+1, item, ch)
				}
			}
			steps = append(steps, Step{Digits: up})
		}
	}
	return steps, nil
}
