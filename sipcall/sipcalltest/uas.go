// Package sipcalltest is an in-process SIP server side (a sipgo/diago UAS) for tests of SIP
// callers: it answers, plays a tone, collects RFC 4733 DTMF and hangs up, or refuses calls
// with the statuses FreeSWITCH uses, depending on the user part of the dialled URI.
package sipcalltest

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/emiago/diago"
	"github.com/emiago/diago/media"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/stretchr/testify/require"
)

// UAS is the server side. The user part of the request URI picks what it does:
//
//	busy             486 Busy Here
//	gone             480 with Reason: Q.850;cause=16 (as FreeSWITCH sends it)
//	ring             rings until cancelled
//	silent           answers and waits for the caller to hang up
//	ivr              answers, plays a 440 Hz tone, hangs up (plain BYE) after Digits digits
//	ivr-busy-hangup  the same, with Reason: Q.850;cause=17 (USER_BUSY) on the BYE
//	auth             asks for digest authentication (AuthUser, AuthPassword), then acts as ivr;
//	                 wrong credentials get 403 Forbidden
//	anything else    404 Not Found
type UAS struct {
	// Port is the UDP port on 127.0.0.1 it listens on.
	Port int
	// Digits is how many DTMF digits the ivr users wait for before hanging up.
	Digits int

	digest *diago.DigestAuthServer

	mu     sync.Mutex
	digits map[string]string // Call-ID -> DTMF received
	done   chan string       // Call-IDs of calls the ivr users finished
}

// ToneHz is the frequency of the tone the ivr users play.
const ToneHz = 440

// The credentials the auth user accepts, as a FreeSWITCH directory user would.
const (
	AuthUser     = "1000"
	AuthPassword = "phone-secret"
)

// Start starts a UAS on 127.0.0.1 that waits for digits DTMF digits on ivr calls; the test's
// cleanup stops it.
func Start(t testing.TB, digits int) *UAS {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("test-uas"))
	require.NoError(t, err)
	srv, err := sipgo.NewServer(ua)
	require.NoError(t, err)
	u := &UAS{Digits: digits, digest: diago.NewDigestServer(), digits: map[string]string{}, done: make(chan string, 8)}
	dg := diago.NewDiago(ua,
		diago.WithServer(srv),
		diago.WithLogger(slog.New(slog.DiscardHandler)),
		diago.WithTransport(diago.Transport{Transport: "udp", BindHost: "127.0.0.1", BindPort: 0}),
	)
	var (
		mu       sync.Mutex
		closed   bool
		handlers sync.WaitGroup
	)
	require.NoError(t, dg.ServeBackground(ctx, func(d *diago.DialogServerSession) {
		mu.Lock()
		if closed {
			mu.Unlock()
			return
		}
		handlers.Add(1)
		mu.Unlock()
		defer handlers.Done()
		u.serve(ctx, d)
	}))
	t.Cleanup(func() {
		mu.Lock()
		closed = true
		mu.Unlock()
		cancel()
		handlers.Wait()
		u.digest.Close()
		ua.Close()
	})
	// The listener is registered just after diago reports it ready: wait for it (bounded).
	for i := 0; i < 500 && len(srv.TransportLayer().ListenPorts("udp")) == 0; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	ports := srv.TransportLayer().ListenPorts("udp")
	require.Len(t, ports, 1)
	u.Port = ports[0]
	return u
}

// URI is the SIP URI of user on this UAS.
func (u *UAS) URI(user string) string { return fmt.Sprintf("sip:%s@127.0.0.1:%d", user, u.Port) }

// Finished returns the Call-ID of the next ivr call the UAS hung up.
func (u *UAS) Finished() <-chan string { return u.done }

// Received returns the DTMF digits the UAS received on the call, in order.
func (u *UAS) Received(callID string) string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.digits[callID]
}

func (u *UAS) serve(ctx context.Context, d *diago.DialogServerSession) {
	callID := d.InviteRequest.CallID().Value()
	switch d.ToUser() {
	case "busy":
		_ = d.Respond(sip.StatusBusyHere, "Busy Here", nil)
	case "gone":
		// FreeSWITCH answers 480 with a Q.850 reason; the reason's cause wins (NORMAL_CLEARING).
		_ = d.Respond(sip.StatusTemporarilyUnavailable, "Temporarily Unavailable", nil,
			sip.NewHeader("Reason", `Q.850;cause=16;text="NORMAL_CLEARING"`))
	case "ring":
		_ = d.Ringing()
		<-d.Context().Done()
	case "silent":
		_ = d.Answer()
		<-d.Context().Done()
	case "ivr", "ivr-busy-hangup":
		_ = d.Answer()
		u.ivr(ctx, d, callID)
	case "auth":
		auth := diago.DigestAuth{Username: AuthUser, Password: AuthPassword, Realm: "ivrd-test"}
		if err := u.digest.AuthorizeDialog(d, auth); err != nil {
			if d.InviteRequest.GetHeader("Authorization") != nil {
				// Credentials were given and are wrong (diago answered only the challenge).
				_ = d.Respond(sip.StatusForbidden, "Forbidden", nil)
			}
			return
		}
		_ = d.Answer()
		u.ivr(ctx, d, callID)
	default:
		_ = d.Respond(sip.StatusNotFound, "Not Found", nil)
	}
}

// ivr plays the tone, collects DTMF until it has u.Digits digits, then hangs up.
func (u *UAS) ivr(ctx context.Context, d *diago.DialogServerSession, callID string) {
	dr, err := d.AudioReaderDTMF()
	if err != nil {
		return
	}
	got := make(chan struct{})
	var once sync.Once
	dr.OnDTMF(func(r rune) error {
		u.mu.Lock()
		u.digits[callID] += string(r)
		n := len(u.digits[callID])
		u.mu.Unlock()
		if n >= u.Digits {
			once.Do(func() { close(got) })
		}
		return nil
	})
	go func() {
		buf := make([]byte, media.RTPBufSize)
		for {
			if _, err := dr.Read(buf); err != nil {
				return
			}
		}
	}()
	pb, err := d.PlaybackCreate()
	if err != nil {
		return
	}
	go func() { _, _ = pb.Play(tonePCM(ToneHz, 600*time.Millisecond), "audio/pcm") }()

	select {
	case <-got:
	case <-d.Context().Done():
		return
	case <-ctx.Done():
		return
	}
	hctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if d.ToUser() == "ivr-busy-hangup" {
		bye := sip.NewRequest(sip.BYE, d.InviteRequest.Contact().Address)
		bye.AppendHeader(sip.NewHeader("Reason", `Q.850;cause=17;text="USER_BUSY"`))
		_ = d.WriteBye(hctx, bye)
	} else {
		_ = d.Hangup(hctx)
	}
	u.done <- callID
}

// tonePCM is a sine at hz, 8 kHz 16-bit little-endian PCM.
func tonePCM(hz float64, dur time.Duration) *bytes.Reader {
	n := int(8000 * dur / time.Second)
	b := make([]byte, 2*n)
	for i := 0; i < n; i++ {
		v := int16(8000 * math.Sin(2*math.Pi*hz*float64(i)/8000))
		binary.LittleEndian.PutUint16(b[2*i:], uint16(v))
	}
	return bytes.NewReader(b)
}
