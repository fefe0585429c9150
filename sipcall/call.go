package sipcall

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/emiago/diago"
	"github.com/emiago/diago/audio"
	"github.com/emiago/diago/media"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Options say whom to call and what to do on the call. URI is required.
type Options struct {
	// URI is the SIP URI to dial, e.g. sip:5000@127.0.0.1:5080 (add ;transport=tcp for TCP).
	URI string
	// Digits is the script sent once the call is answered, e.g. "1,wait 3s,2,5#" (ParseScript).
	Digits string
	// RecordPath, if set, is a WAV file (8 kHz, 16-bit, mono) of everything the caller hears.
	RecordPath string
	// From is the caller's user part (caller ID), e.g. 15551230001; default "ivrd".
	From string
	// Username and Password answer a digest challenge (FreeSWITCH's internal profile asks).
	Username, Password string
	// BindHost is the local address for SIP and RTP; default: the address the system would
	// use to reach the URI's host.
	BindHost string
	// BindPort is a fixed local SIP port to listen on; 0 uses an ephemeral one.
	BindPort int
	// AnswerTimeout is how long to let it ring (default 30s); then the call is cancelled and
	// ends with NO_ANSWER.
	AnswerTimeout time.Duration
	// DigitGap is the pause between the digits of one item like "5#" (default 100ms).
	DigitGap time.Duration
	// Linger is how long to keep listening after the script for the far end to hang up
	// (default 5s); then the caller hangs up.
	Linger time.Duration
	// Logger defaults to a logger that discards diago's chatter.
	Logger *slog.Logger
}

// Result is how a call went.
type Result struct {
	Answered bool
	// Status and Phrase are the final response to the INVITE (200 OK when answered).
	Status int
	Phrase string
	// Cause is the hangup cause as FreeSWITCH names it (NORMAL_CLEARING, USER_BUSY...), and
	// CauseCode its Q.850 number. When the far end gave a `Reason: Q.850;cause=N` header, that
	// cause wins over the SIP status, as in FreeSWITCH.
	Cause     string
	CauseCode int
	// HungUpBy is "remote" or "local" for an answered call, "" otherwise.
	HungUpBy string
	// DigitsSent are the DTMF digits sent, in order (the last one may have been cut short
	// by the far end hanging up on it).
	DigitsSent string
	// Talk is the time from answer to hangup.
	Talk time.Duration
	// HeardBytes is the amount of audio decoded into the recording (16-bit samples at 8 kHz).
	HeardBytes int64
}

func (r Result) String() string {
	switch {
	case r.Answered:
		return fmt.Sprintf("answered, talked %s, sent %q, hung up by %s: %s (Q.850 %d)",
			r.Talk.Round(time.Millisecond), r.DigitsSent, r.HungUpBy, r.Cause, r.CauseCode)
	case r.Status != 0:
		return fmt.Sprintf("not answered: SIP %d %s: %s (Q.850 %d)", r.Status, r.Phrase, r.Cause, r.CauseCode)
	default:
		return fmt.Sprintf("not answered: %s (Q.850 %d)", r.Cause, r.CauseCode)
	}
}

func (o *Options) defaults() {
	if o.AnswerTimeout <= 0 {
		o.AnswerTimeout = 30 * time.Second
	}
	if o.DigitGap <= 0 {
		o.DigitGap = 100 * time.Millisecond
	}
	if o.Linger <= 0 {
		o.Linger = 5 * time.Second
	}
	if o.From == "" {
		o.From = "ivrd"
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// byeReasons remembers the Reason header of BYEs received, by Call-ID.
type byeReasons struct {
	mu sync.Mutex
	m  map[string]string
}

func (b *byeReasons) middleware(next sipgo.RequestHandler) sipgo.RequestHandler {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		if req.Method == sip.BYE {
			if h := req.GetHeader("Reason"); h != nil && req.CallID() != nil {
				b.mu.Lock()
				b.m[req.CallID().Value()] = h.Value()
				b.mu.Unlock()
			}
		}
		next(req, tx)
	}
}

func (b *byeReasons) get(callID string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.m[callID]
}

// localAddrFor returns the local IP the system routes to host:port with (no packet is sent).
func localAddrFor(host string, port int) (string, error) {
	if port == 0 {
		port = 5060
	}
	c, err := net.Dial("udp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return "", err
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).IP.String(), nil
}

// Call places one call and returns how it went. A call that is refused, busy or not answered
// is a Result, not an error; errors are for calls that could not be tried (bad URI, no
// network, the recording file cannot be written).
func Call(ctx context.Context, o Options) (Result, error) {
	o.defaults()
	steps, err := ParseScript(o.Digits)
	if err != nil {
		return Result{}, err
	}
	var uri sip.Uri
	if err := sip.ParseUri(o.URI, &uri); err != nil || uri.Host == "" {
		return Result{}, fmt.Errorf("SIP URI %q: write it like sip:5000@127.0.0.1:5080", o.URI)
	}
	transport := "udp"
	if t, ok := uri.UriParams.Get("transport"); ok && t != "" {
		transport = t
	}
	bind := o.BindHost
	if bind == "" {
		if bind, err = localAddrFor(uri.Host, uri.Port); err != nil {
			return Result{}, fmt.Errorf("no route to %s: %w (give --bind with a local address)", uri.Host, err)
		}
	}

	var rec *wavRecorder
	if o.RecordPath != "" {
		f, err := os.Create(o.RecordPath)
		if err != nil {
			return Result{}, fmt.Errorf("recording: %w (give --record a file in a folder you can write)", err)
		}
		rec = newWavRecorder(f)
		defer rec.close()
	}

	// sipgo's layers log through o.Logger, not its process-wide default logger: setting that
	// per call would race between concurrent calls.
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("ivrd-call"),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(o.Logger)),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(o.Logger)))
	if err != nil {
		return Result{}, fmt.Errorf("sip user agent: %w", err)
	}
	defer ua.Close()
	reasons := &byeReasons{m: map[string]string{}}
	dg := diago.NewDiago(ua,
		diago.WithLogger(o.Logger),
		diago.WithTransport(diago.Transport{Transport: transport, BindHost: bind, BindPort: o.BindPort}),
		diago.WithServerRequestMiddleware(reasons.middleware),
	)
	if o.BindPort != 0 {
		// A fixed port (for a firewall or NAT rule) is listened on; without one, the client
		// connection's ephemeral port is in the Contact and receives the BYE.
		sctx, stopServe := context.WithCancel(ctx)
		defer stopServe()
		if err := dg.ServeBackground(sctx, func(d *diago.DialogServerSession) {
			_ = d.Respond(sip.StatusForbidden, "ivrd call does not take calls", nil)
		}); err != nil {
			return Result{}, fmt.Errorf("listen for SIP on %s:%d: %w (give another --port, or none for an ephemeral one)", bind, o.BindPort, err)
		}
	}

	from := &sip.FromHeader{Address: sip.Uri{User: o.From, Host: bind}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	ictx, cancelInvite := context.WithTimeout(ctx, o.AnswerTimeout)
	defer cancelInvite()
	d, err := dg.Invite(ictx, uri, diago.InviteOptions{
		Username: o.Username,
		Password: o.Password,
		Headers:  []sip.Header{from},
	})
	if err != nil {
		return failed(ctx, ictx, o, err)
	}
	defer d.Close()
	return talk(ctx, o, d, steps, rec, reasons)
}

// failed turns an INVITE failure into a Result, or an error if the call was never tried.
func failed(ctx, ictx context.Context, o Options, err error) (Result, error) {
	var res *sip.Response
	var pe *sipgo.ErrDialogResponse
	var ve sipgo.ErrDialogResponse
	switch {
	case errors.As(err, &pe):
		res = pe.Res
	case errors.As(err, &ve):
		res = ve.Res
	}
	if res != nil {
		r := Result{Status: res.StatusCode, Phrase: res.Reason, CauseCode: CauseFromStatus(res.StatusCode)}
		if h := res.GetHeader("Reason"); h != nil {
			if c, ok := parseReason(h.Value()); ok {
				r.CauseCode = c
			}
		}
		r.Cause = CauseName(r.CauseCode)
		return r, nil
	}
	if ctx.Err() == nil && errors.Is(ictx.Err(), context.DeadlineExceeded) {
		return Result{Cause: "NO_ANSWER", CauseCode: 19}, nil
	}
	if ctx.Err() != nil {
		return Result{Cause: "ORIGINATOR_CANCEL", CauseCode: 487}, ctx.Err()
	}
	return Result{}, fmt.Errorf("call %s: %w (check that the URI's host and port run a SIP server, and its transport)", o.URI, err)
}

// talk runs the answered call: silence out, recording in, the digit script, then the hangup.
func talk(ctx context.Context, o Options, d *diago.DialogClientSession, steps []Step, rec *wavRecorder, reasons *byeReasons) (Result, error) {
	res := Result{Answered: true, Status: 200, Phrase: "OK"}
	answered := time.Now()
	callCtx := d.Context()

	codec := media.CodecAudioFromSession(d.MediaSession())
	dtmf, err := d.AudioWriterDTMF()
	if err != nil {
		return res, fmt.Errorf("media: %w", err)
	}
	var wg sync.WaitGroup
	stopSilence := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		sendSilence(dtmf, codec, stopSilence, callCtx.Done())
	}()
	var recErr error
	recDone := make(chan struct{})
	if rec != nil {
		r, err := d.AudioReader()
		if err != nil {
			return res, fmt.Errorf("media: %w", err)
		}
		go func() {
			defer close(recDone)
			pr := d.RTPPacketReader
			recErr = rec.record(r, func() uint8 { return pr.PacketHeader.PayloadType }, codec)
		}()
	} else {
		close(recDone)
	}

	wait := func(dur time.Duration) bool {
		t := time.NewTimer(dur)
		defer t.Stop()
		select {
		case <-t.C:
			return true
		case <-callCtx.Done():
		case <-ctx.Done():
		}
		return false
	}
	alive := true
script:
	for _, s := range steps {
		if s.Digits == "" {
			if alive = wait(s.Wait); !alive {
				break
			}
			continue
		}
		for i, ch := range s.Digits {
			if i > 0 {
				if alive = wait(o.DigitGap); !alive {
					break script
				}
			}
			if callCtx.Err() != nil || ctx.Err() != nil {
				alive = false
				break script
			}
			err := dtmf.WriteDTMF(ch)
			if err != nil && callCtx.Err() == nil {
				return res, fmt.Errorf("send DTMF %c: %w", ch, err)
			}
			// A far end that hangs up on a digit has reacted to it: the digit counts as sent
			// even when its last redundant end packets found the call gone.
			res.DigitsSent += string(ch)
			if err != nil {
				alive = false
				break script
			}
		}
		if alive = wait(o.DigitGap); !alive {
			break
		}
	}
	if alive {
		wait(o.Linger)
	}

	if callCtx.Err() != nil {
		res.HungUpBy = "remote"
		res.CauseCode = 16
		if c, ok := parseReason(reasons.get(d.InviteRequest.CallID().Value())); ok {
			res.CauseCode = c
		}
	} else {
		res.HungUpBy = "local"
		res.CauseCode = 16
		hctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := d.Hangup(hctx)
		cancel()
		if err != nil {
			o.Logger.Warn("hangup failed", "err", err)
		}
	}
	res.Cause = CauseName(res.CauseCode)
	res.Talk = time.Since(answered)

	close(stopSilence)
	wg.Wait()
	_ = d.Close() // ends the recorder's reads
	<-recDone
	if rec != nil {
		res.HeardBytes = rec.bytes
		if err := rec.close(); err != nil {
			return res, fmt.Errorf("recording: %w (the call took place; the file %s may be incomplete)", err, o.RecordPath)
		}
		if recErr != nil && !errors.Is(recErr, io.EOF) {
			return res, fmt.Errorf("recording: %w (the call took place; the file %s may be incomplete)", recErr, o.RecordPath)
		}
	}
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	return res, nil
}

// sendSilence streams encoded silence, one packet per codec frame (diago's RTP writer blocks
// on its media clock, which paces the loop), so the RTP clock runs and each DTMF event (sent
// through the same writer, which holds the stream while it sends an event) gets its own
// timestamp.
func sendSilence(w io.Writer, codec media.Codec, stop <-chan struct{}, done <-chan struct{}) {
	n := int(time.Duration(codec.SampleRate) * codec.SampleDur / time.Second)
	if n <= 0 {
		n = 160
	}
	fill := byte(0xFF) // PCMU silence
	if codec.PayloadType == 8 {
		fill = 0xD5 // PCMA silence
	}
	silence := bytes.Repeat([]byte{fill}, n)
	for {
		select {
		case <-stop:
			return
		case <-done:
			return
		default:
		}
		if _, err := w.Write(silence); err != nil {
			return
		}
	}
}

// wavRecorder decodes G.711 RTP payloads into a mono 8 kHz 16-bit WAV file.
type wavRecorder struct {
	f      *os.File
	w      *audio.WavWriter
	bytes  int64
	closed bool
}

func newWavRecorder(f *os.File) *wavRecorder {
	w := audio.NewWavWriter(f)
	w.NumChans = 1
	return &wavRecorder{f: f, w: w}
}

// record reads RTP payloads from r until it fails; payloads of other types (DTMF events) are
// skipped.
func (wr *wavRecorder) record(r io.Reader, payloadType func() uint8, codec media.Codec) error {
	decode := audio.DecodeUlawTo
	if codec.PayloadType == 8 {
		decode = audio.DecodeAlawTo
	}
	buf := make([]byte, media.RTPBufSize)
	pcm := make([]byte, 2*media.RTPBufSize)
	for {
		n, err := r.Read(buf)
		if err != nil {
			return err
		}
		if n == 0 || payloadType() != codec.PayloadType {
			continue
		}
		m, err := decode(pcm, buf[:n])
		if err != nil {
			return fmt.Errorf("decode %s: %w", codec.Name, err)
		}
		if _, err := wr.w.Write(pcm[:m]); err != nil {
			return err
		}
		wr.bytes += int64(m)
	}
}

func (wr *wavRecorder) close() error {
	if wr.closed {
		return nil
	}
	wr.closed = true
	return errors.Join(wr.w.Close(), wr.f.Close())
}
