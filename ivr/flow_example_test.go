package ivr_test

import (
	"fmt"
	"os"
	"time"

	"github.com/ivrd/ivrd/ivr"
)

func ExampleParseFlow() {
	src := []byte(`
steps:
  start:
    menu:
      prompt: "For your balance press 1, for an agent press 0."
      options: {1: balanse, 0: agent}
      on_fail: agent
  agent:
    queue: general
`)
	_, ds := ivr.ParseFlow("flows/demo.yaml", src, nil)
	for _, d := range ds {
		fmt.Println(d)
	}
	// Output: flows/demo.yaml:6:20: error: unknown step "balanse" in menu option 1 of step "start"; add a step with that name under steps:
}

func ExampleCalendar_NextOpen() {
	cal, err := ivr.ParseCalendar("bank", []byte(`
timezone: America/New_York
hours:
  mon-fri: 08:00-20:00
holidays:
  - {date: 2026-12-25, name: Christmas Day}
`))
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	ny, _ := time.LoadLocation("America/New_York")
	christmasEve := time.Date(2026, 12, 24, 21, 0, 0, 0, ny)
	next, _ := cal.NextOpen(christmasEve)
	fmt.Println(cal.Open(christmasEve), next.Format("Mon 2006-01-02 15:04 MST"))
	// Output: false Mon 2026-12-28 08:00 EST
}
