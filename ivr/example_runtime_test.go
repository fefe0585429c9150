package ivr_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/ivrd/ivrd/ivr"
)

// A flow runs on a call with Runtime.Run. Here the call is a FakeChannel (a simulated caller
// on a virtual clock); in ivrd serve it is an ESLChannel over FreeSWITCH's outbound socket,
// run from the esl.Server handler: rt.Run(ctx, ivr.NewESLChannel(call, log), opts).
func ExampleRuntime_Run() {
	flow, diags := ivr.ParseFlow("greeting.yaml", []byte(`
flow: greeting
steps:
  start:
    menu:
      prompt: "Press 1 to hear the news."
      options:
        1: news
  news:
    play: "Nothing new today. Goodbye."
    next: bye
  bye:
    hangup:
`), &ivr.Catalog{})
	if diags.HasErrors() {
		fmt.Println(diags)
		return
	}
	rt, err := ivr.NewRuntime(ivr.Config{Flows: ivr.NewFlowSet(ivr.VersionedFlow{Flow: flow, Version: "1"})})
	if err != nil {
		fmt.Println(err)
		return
	}
	start := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	call := ivr.NewFakeChannel("call-1", "+15551230001", "5000", start, []ivr.CallerAction{{Press: "1"}})
	rec := rt.Run(context.Background(), call, ivr.CallOptions{Flow: "greeting", Clock: call})

	fmt.Println("heard:", call.Heard())
	fmt.Println("steps:", rec.Steps())
	fmt.Println("outcome:", rec.Outcome)
	_ = rec.WriteTimeline(os.Stdout)
	// Output:
	// heard: [say: Press 1 to hear the news. say: Nothing new today. Goodbye.]
	// steps: [start news bye]
	// outcome: self-served
	// call      call-1
	// from      +15551230001
	// to        5000
	// flow      greeting (version 1)
	// language  en
	// started   2026-11-24T10:00:00Z
	// duration  4s (IVR 4s, talk 0s)
	// outcome   self-served (hangup NORMAL_CLEARING)
	//
	//    +0.0s  step      start              menu
	//    +2.4s  digits    start              1
	//    +2.4s  step      news               play
	//    +4.0s  step      bye                hangup
	//    +4.0s  hangup    bye                self-served (NORMAL_CLEARING)
}
