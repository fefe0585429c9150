package esl_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/ivrd/ivrd/esl"
)

// A call handler: answer, offer a menu, act on the choice. Every command has a deadline and a
// typed result; a caller who hangs up ends the flow with esl.ErrHangup.
func ExampleListen() {
	menu := func(ctx context.Context, c *esl.Call) {
		step, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		if err := c.Answer(step); err != nil {
			return
		}
		res, err := c.PlayAndGetDigits(step, esl.PAGD{Min: 1, Max: 1, Tries: 3, Timeout: 5 * time.Second,
			File: "ivr/menu.wav", InvalidFile: "ivr/invalid.wav", Regexp: `[12]`})
		if errors.Is(err, esl.ErrHangup) {
			log.Printf("caller left: %s", c.HangupCause())
			return
		}
		if err == nil && res.Digits == "1" {
			br, err := c.Bridge(step, "sofia/gateway/agents/100", esl.BridgeOpts{Timeout: 20 * time.Second, ContinueOnFail: true})
			if err == nil && !br.Answered {
				_, _ = c.Playback(step, "ivr/all_busy.wav", esl.PlaybackOpts{})
			}
		}
		_ = c.Hangup(step, esl.CauseNormalClearing)
	}
	srv, err := esl.Listen(context.Background(), "127.0.0.1:0", menu, esl.ServerOptions{RecordEvents: true})
	if err != nil {
		log.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx) // in-flight calls are told (ctx), waited for, then hung up
	}()
	fmt.Println("dialplan: socket", srv.Addr().Network())
	// Output: dialplan: socket tcp
}

// Originate a callback and classify the failure.
func ExampleClient_Originate() {
	ctx := context.Background()
	c, err := esl.Dial(ctx, esl.Node{Name: "fs1", Address: "127.0.0.1:8021", PasswordEnv: "ESL_PASSWORD"}, esl.ClientOptions{})
	if err != nil {
		log.Print(err) // a wrong password: errors.Is(err, esl.ErrAuth)
		return
	}
	defer c.Close()
	uuid, err := c.Originate(ctx, esl.OriginateRequest{
		Dial:           "sofia/gateway/carrier/0301234567",
		CallerIDNumber: "+49301111",
		Timeout:        30 * time.Second,
		App:            "&socket(127.0.0.1:8084 async full)",
	})
	var oe *esl.OriginateError
	switch {
	case errors.As(err, &oe) && oe.Retryable():
		log.Printf("retry later: %s", oe.Cause) // USER_BUSY, NO_ANSWER, ...
	case errors.Is(err, esl.ErrOutcomeUnknown):
		log.Printf("check %s before retrying", uuid)
	case err != nil:
		log.Printf("give up: %v", err) // UNALLOCATED_NUMBER, CALL_REJECTED, ...
	default:
		log.Printf("answered: %s", uuid)
	}
}
