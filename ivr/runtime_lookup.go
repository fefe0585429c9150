package ivr

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/ivrd/ivrd/ivr/expr"
)

// maxLookupBody bounds a lookup response read into memory.
const maxLookupBody = 1 << 20

// execLookup calls the HTTP JSON API and copies values into variables; any failure takes
// OnError (or Next, variables unchanged).
func (c *call) execLookup(ctx context.Context, s *Step) (*Step, error) {
	l := s.Lookup
	failed := func(err error) (*Step, error) {
		c.event(EventLookup, "failed: "+describeErr(err))
		if l.OnError != nil {
			return l.OnError, nil
		}
		return s.Next, nil
	}
	doc, status, err := c.lookup(ctx, l)
	if err != nil {
		if errors.Is(err, ErrHangup) {
			return nil, err
		}
		return failed(err)
	}
	c.event(EventLookup, fmt.Sprintf("%s %d", l.Method, status))
	for _, sv := range l.Save {
		v, ok := sv.Path.Get(doc)
		val := expr.NullValue
		if ok {
			val = expr.FromAny(v)
		}
		c.setVar(sv.Var, val)
	}
	return s.Next, nil
}

// lookup performs the request. The request is cancelled when the caller hangs up.
func (c *call) lookup(ctx context.Context, l *LookupStep) (any, int, error) {
	url, err := l.URL.Render(c)
	if err != nil {
		return nil, 0, fmt.Errorf("URL %q: %w", l.URL.String(), err)
	}
	method := l.Method
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if l.Body != nil {
		b, err := l.Body.Render(c)
		if err != nil {
			return nil, 0, fmt.Errorf("body: %w", err)
		}
		body = bytes.NewReader(b)
	}
	timeout := orDefault(l.Timeout, DefaultLookupTimeout)
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// Watch for the caller hanging up only while the request runs.
	watchDone := make(chan struct{})
	defer close(watchDone)
	go func() {
		select {
		case <-c.ch.Done():
			cancel()
		case <-watchDone:
		}
	}()

	req, err := http.NewRequestWithContext(rctx, method, url, body)
	if err != nil {
		return nil, 0, fmt.Errorf("%s %s: %w", method, url, err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, name := range sortedKeys(l.Headers) {
		v, err := l.Headers[name].Render(c)
		if err != nil {
			return nil, 0, fmt.Errorf("header %s: %w", name, err)
		}
		req.Header.Set(name, v)
	}
	resp, err := c.rt.cfg.HTTP.Do(req)
	if err != nil {
		select {
		case <-c.ch.Done():
			return nil, 0, &HangupError{Cause: c.ch.HangupCause()}
		default:
		}
		if rctx.Err() == context.DeadlineExceeded {
			return nil, 0, fmt.Errorf("%s %s: no answer within %s", method, redactURL(url), timeout)
		}
		return nil, 0, fmt.Errorf("%s %s: %w", method, redactURL(url), err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxLookupBody+1))
	if err != nil {
		return nil, resp.StatusCode, fmt.Errorf("%s %s: read response: %w", method, redactURL(url), err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, resp.StatusCode, fmt.Errorf("%s %s: HTTP %s", method, redactURL(url), resp.Status)
	}
	if len(data) > maxLookupBody {
		return nil, resp.StatusCode, fmt.Errorf("%s %s: response larger than %d bytes", method, redactURL(url), maxLookupBody)
	}
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, resp.StatusCode, fmt.Errorf("%s %s: response is not JSON: %w", method, redactURL(url), err)
	}
	return doc, resp.StatusCode, nil
}

// redactURL drops the query and any user:password of a URL for logs and records: query
// values are often customer numbers or tokens.
func redactURL(u string) string {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i] + "?…"
	}
	if i := strings.Index(u, "://"); i >= 0 {
		if j := strings.IndexByte(u[i+3:], '@'); j >= 0 {
			u = u[:i+3] + u[i+3+j+1:]
		}
	}
	return u
}
