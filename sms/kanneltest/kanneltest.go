// Package kanneltest runs a real Kannel (bearerbox + smsbox from the Debian kannel package)
// for tests and plays the carrier on its fake SMSC port.
//
// Start writes a kannel.conf into t.TempDir() with free ports, a `smsc = fake` connection,
// a sendsms-user, and an sms-service whose get-url points at the inbound handler under test
// (max-messages = 0, mo-recode = true, and smsbox HTTP retries so texts survive the handler
// being down). It connects the SMSC client, waits until Kannel says the SMSC is online, and
// stops both boxes when the test ends.
//
//	k := kanneltest.Start(t, kanneltest.Options{InboundURL: srv.URL + "/sms/kannel/inbound"})
//	k.SMSC.Deliver(ctx, "+14155552671", "5000", "CALL ME")   // a customer texts in
//	out, _ := k.SMSC.Next(ctx)                              // what Kannel sent to the carrier
package kanneltest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Options configure the Kannel under test.
type Options struct {
	// InboundURL is where smsbox delivers inbound texts (ivrd's Kannel handler). Empty: a
	// closed port (texts are retried, never delivered).
	InboundURL string
	// HTTPRetries and HTTPRetryDelay are smsbox's http-request-retry and http-queue-delay
	// (defaults 60 and 1s; Kannel counts the delay in whole seconds).
	HTTPRetries    int
	HTTPRetryDelay time.Duration
	// Username and Password of the sendsms-user (defaults "ivrd" / "kannel-test-secret").
	Username, Password string
}

// Kannel is a running bearerbox + smsbox.
type Kannel struct {
	// SendURL is smsbox's sendsms URL.
	SendURL            string
	Username, Password string
	// AdminURL is bearerbox's admin HTTP base (status.txt etc.); AdminPassword opens it.
	AdminURL, AdminPassword string
	// SMSC is the connected fake carrier.
	SMSC *SMSC
	// Dir holds kannel.conf and the logs.
	Dir string
}

// Start runs Kannel for t; everything stops when t ends.
func Start(t testing.TB, opts Options) *Kannel {
	t.Helper()
	k, err := start(t, opts)
	if err != nil {
		t.Fatalf("kanneltest: %v", err)
	}
	return k
}

func start(t testing.TB, opts Options) (*Kannel, error) {
	bearerbox, err := findBinary("bearerbox")
	if err != nil {
		return nil, err
	}
	smsbox, err := findBinary("smsbox")
	if err != nil {
		return nil, err
	}
	if opts.Username == "" {
		opts.Username = "ivrd"
	}
	if opts.Password == "" {
		opts.Password = "kannel-test-secret"
	}
	if opts.HTTPRetries == 0 {
		opts.HTTPRetries = 60
	}
	inbound := opts.InboundURL
	if inbound == "" {
		inbound = "http://127.0.0.1:9/closed"
	}
	sep := "?"
	if strings.Contains(inbound, "?") {
		sep = "&"
	}
	getURL := inbound + sep + "id=%I&from=%p&to=%P&text=%b&coding=%c&charset=%C"

	// The ports are free when picked but only bound when the boxes start: another process (or
	// test) may take one meanwhile; the box that cannot bind it logs "bind failed" (and either
	// exits or runs without that port). Such an attempt is stopped and made again on fresh ports.
	var errs []error
	for range startAttempts {
		k, err := startOnce(t, bearerbox, smsbox, opts, getURL)
		if err == nil {
			return k, nil
		}
		errs = append(errs, err)
		if !errors.Is(err, errPortTaken) {
			break
		}
	}
	return nil, errors.Join(errs...)
}

// startAttempts is how often start tries fresh ports when a box could not bind one.
const startAttempts = 3

// errPortTaken means a box could not bind a port it was given: it was taken meanwhile.
var errPortTaken = errors.New("a Kannel box could not bind its port (taken meanwhile)")

// startOnce starts bearerbox and smsbox on fresh ports in a new folder and waits until the fake
// SMSC is online. When it fails, it has stopped both boxes.
func startOnce(t testing.TB, bearerbox, smsbox string, opts Options, getURL string) (k *Kannel, err error) {
	ports, err := pickPorts(4)
	if err != nil {
		return nil, err
	}
	admin, boxPort, smscPort, sendPort := ports[0], ports[1], ports[2], ports[3]
	delay := max(int(opts.HTTPRetryDelay/time.Second), 1) // Kannel counts whole seconds
	dir, err := os.MkdirTemp(t.TempDir(), "kannel")
	if err != nil {
		return nil, err
	}
	k = &Kannel{
		SendURL:  fmt.Sprintf("http://127.0.0.1:%d/cgi-bin/sendsms", sendPort),
		Username: opts.Username, Password: opts.Password,
		AdminURL: fmt.Sprintf("http://127.0.0.1:%d", admin), AdminPassword: "kannel-test-admin",
		Dir: dir,
	}
	conf := fmt.Sprintf(`group = core
admin-port = %d
admin-interface = 127.0.0.1
admin-password = %s
smsbox-port = %d
smsbox-interface = 127.0.0.1
box-allow-ip = "127.0.0.1"
log-file = %q
log-level = 0
dlr-storage = internal

group = smsc
smsc = fake
smsc-id = fake
port = %d
connect-allow-ip = "127.0.0.1"

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = %d
sendsms-port = %d
sendsms-interface = 127.0.0.1
log-file = %q
log-level = 0
mo-recode = true
http-request-retry = %d
http-queue-delay = %d

group = sendsms-user
username = %s
password = %s
max-messages = 10
concatenation = true

group = sms-service
keyword = default
catch-all = true
max-messages = 0
get-url = %q
`, admin, k.AdminPassword, boxPort, filepath.Join(dir, "bearerbox.log"), smscPort, boxPort, sendPort,
		filepath.Join(dir, "smsbox.log"), opts.HTTPRetries, delay, opts.Username, opts.Password, getURL)
	confPath := filepath.Join(dir, "kannel.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		return nil, err
	}
	t.Cleanup(func() {
		if t.Failed() {
			for _, f := range []string{"bearerbox.log", "smsbox.log"} {
				b, _ := os.ReadFile(filepath.Join(dir, f))
				if len(b) > 6000 {
					b = b[len(b)-6000:]
				}
				t.Logf("kanneltest: tail of %s:\n%s", f, b)
			}
		}
	})

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var boxes []*box
	defer func() {
		if err == nil {
			return
		}
		var taken []string
		for _, b := range boxes {
			if b.bindFailed() {
				taken = append(taken, b.name)
			}
			b.stop()
		}
		if len(taken) > 0 {
			err = fmt.Errorf("%w: %s: %w", errPortTaken, strings.Join(taken, ", "), err)
		}
	}()
	// Waiting for a port or the SMSC ends early when a box could not bind a port.
	ctx, portTaken := context.WithCancel(ctx)
	defer portTaken()
	start := func(bin, name string) error {
		b, err := startBox(t, bin, confPath, dir, name)
		if err != nil {
			return err
		}
		boxes = append(boxes, b)
		go func() {
			for !b.bindFailed() {
				select {
				case <-ctx.Done():
					return
				case <-time.After(50 * time.Millisecond):
				}
			}
			portTaken()
		}()
		return nil
	}
	if err := start(bearerbox, "bearerbox"); err != nil {
		return nil, err
	}
	if err := waitPort(ctx, boxPort); err != nil {
		return nil, fmt.Errorf("bearerbox did not open its smsbox port: %w (see %s)", err, dir)
	}
	if err := start(smsbox, "smsbox"); err != nil {
		return nil, err
	}
	if err := waitPort(ctx, sendPort); err != nil {
		return nil, fmt.Errorf("smsbox did not open its sendsms port: %w (see %s)", err, dir)
	}
	smsc, err := dialSMSC(ctx, smscPort)
	if err != nil {
		return nil, err
	}
	k.SMSC = smsc
	if err := k.waitOnline(ctx); err != nil {
		smsc.Close()
		return nil, err
	}
	for _, b := range boxes {
		if b.bindFailed() {
			// A port answered, but it was another process's.
			smsc.Close()
			return nil, fmt.Errorf("%s could not bind a port that answered (see %s)", b.name, dir)
		}
	}
	t.Cleanup(func() { smsc.Close() })
	return k, nil
}

// findBinary looks on PATH, then in /usr/sbin where Debian installs the boxes.
func findBinary(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	p := filepath.Join("/usr/sbin", name)
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%s not found: install the Debian package kannel (./run deps)", name)
}

// box is one running Kannel box.
type box struct {
	name string
	log  string        // the box's log file
	done chan struct{} // closed when the process has ended
	once sync.Once
	cmd  *exec.Cmd
}

// bindFailed reports whether the box logged that it could not bind a port (Kannel logs
// "ERROR: bind failed" and goes on without the port, or exits).
func (b *box) bindFailed() bool {
	data, _ := os.ReadFile(b.log)
	return bytes.Contains(data, []byte("ERROR: bind failed"))
}

// stop ends the process (SIGTERM, then SIGKILL after 5 s) and waits for it.
func (b *box) stop() {
	b.once.Do(func() {
		_ = b.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-b.done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-b.cmd.Process.Pid, syscall.SIGKILL)
			<-b.done
		}
	})
}

// startBox runs one Kannel box until t ends or it is stopped.
func startBox(t testing.TB, bin, conf, dir, name string) (*box, error) {
	out, err := os.Create(filepath.Join(dir, name+".out"))
	if err != nil {
		return nil, err
	}
	// -v 4: only panics on the console; everything goes to the log file.
	cmd := exec.Command(bin, "-v", "4", conf)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		out.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	b := &box{name: name, log: filepath.Join(dir, name+".log"), done: make(chan struct{}), cmd: cmd}
	go func() { _ = cmd.Wait(); out.Close(); close(b.done) }()
	t.Cleanup(b.stop)
	return b, nil
}

// waitOnline polls bearerbox's status until the fake SMSC is online.
func (k *Kannel) waitOnline(ctx context.Context) error {
	u := k.AdminURL + "/status.txt?password=" + k.AdminPassword
	var last string
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			last = string(b)
			if bytes.Contains(b, []byte("online")) && strings.Contains(last, "fake") {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the fake SMSC did not come online: %w; last status:\n%s", ctx.Err(), last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Status returns bearerbox's status.txt.
func (k *Kannel) Status(ctx context.Context) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.AdminURL+"/status.txt?password="+k.AdminPassword, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func waitPort(ctx context.Context, port int) error {
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return errors.Join(ctx.Err(), err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// pickPorts is freePorts; a test replaces it to hand out a taken port.
var pickPorts = freePorts

// freePorts returns n TCP ports that were free a moment ago.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
