package fstest_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/ivrd/ivrd/esl/fstest"
)

// An emulated FreeSWITCH answers ESL like the real one: greeting, auth, api.
func ExampleStart() {
	ctx := context.Background()
	srv, err := fstest.Start(ctx, fstest.Options{Password: "ClueCon"})
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	nc, err := net.Dial("tcp", srv.InboundAddr())
	if err != nil {
		panic(err)
	}
	defer nc.Close()
	br := bufio.NewReader(nc)
	block := func() string {
		var b strings.Builder
		for {
			l, _ := br.ReadString('\n')
			if l == "\n" || l == "" {
				return b.String()
			}
			b.WriteString(l)
		}
	}
	fmt.Print(block())
	fmt.Fprint(nc, "auth ClueCon\n\n")
	fmt.Print(block())
	fmt.Fprint(nc, "api uuid_exists 00000000-0000-0000-0000-000000000000\n\n")
	fmt.Print(block())
	body := make([]byte, 5)
	_, _ = br.Read(body)
	fmt.Println(string(body))
	// Output:
	// Content-Type: auth/request
	// Content-Type: command/reply
	// Reply-Text: +OK accepted
	// Content-Type: api/response
	// Content-Length: 5
	// false
}

// A scripted caller dials extension 5000; the dialplan hands the call to an outbound ESL server
// (ivrd in real life; here a few lines that answer, ask for a digit and hang up).
func ExampleServer_PlaceCall() {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	defer ln.Close()
	dp := fstest.NewDialplan().Add("default", "5000", fstest.Socket(ln.Addr().String()))
	srv, _ := fstest.Start(context.Background(), fstest.Options{Dialplan: dp, Clock: fstest.ScaledClock(20)})
	defer srv.Close()

	go func() { // the "ivrd" side
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		fmt.Fprint(nc, "connect\n\nmyevents\n\n")
		for _, app := range []string{"answer", "play_and_get_digits\nexecute-app-arg: 1 1 1 3000 # tone_stream://%(2000,0,440) silence_stream://250 choice \\d"} {
			fmt.Fprintf(nc, "sendmsg\ncall-command: execute\nexecute-app-name: %s\nevent-lock: true\n\n", app)
		}
		// hang up once play_and_get_digits has completed
		sc := bufio.NewScanner(nc)
		event := ""
		for sc.Scan() {
			line := sc.Text()
			if v, ok := strings.CutPrefix(line, "Event-Name: "); ok {
				event = v
			}
			if event == "CHANNEL_EXECUTE_COMPLETE" && line == "Application: play_and_get_digits" {
				fmt.Fprint(nc, "sendmsg\ncall-command: hangup\nhangup-cause: NORMAL_CLEARING\n\n")
			}
		}
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	call, err := srv.PlaceCall(ctx, fstest.CallSpec{
		CallerNumber: "0612345678",
		Script:       []fstest.Step{{On: fstest.OnPrompt("tone_stream"), DTMF: "2"}},
	})
	if err != nil {
		panic(err)
	}
	res, _ := call.Wait(ctx)
	for _, e := range call.Events() {
		if e.Kind == fstest.KindDigits {
			fmt.Println("digits:", e.Data, e.Response)
		}
	}
	fmt.Println("apps:", strings.Join(res.Apps, ", "))
	fmt.Println("hangup:", res.Cause, "by", res.HungUpBy)
	// Output:
	// digits: 2 success
	// apps: socket, answer, play_and_get_digits
	// hangup: NORMAL_CLEARING by switch
}
