package recordings

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// defaultEndpointTimeout bounds each request to a QA endpoint when the config sets none.
const defaultEndpointTimeout = 60 * time.Second

// PermanentError is a failure that retrying cannot fix (a 4xx answer, an unsupported language,
// a missing token): the delivery is marked failed at once.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

func permanent(err error) error { return &PermanentError{Err: err} }

// isPermanent says whether err should end a delivery without further attempts.
func isPermanent(err error) bool {
	var pe *PermanentError
	var ce *CheckError
	return errors.As(err, &pe) || errors.As(err, &ce) || errors.Is(err, ErrLanguageUnsupported)
}

// token reads the endpoint's bearer token from its env variable or file ("" when neither is
// set). It is read on each request so rotated tokens take effect without a restart.
func (e Endpoint) token() (string, error) {
	if e.TokenEnv != "" {
		if v := os.Getenv(e.TokenEnv); v != "" {
			return v, nil
		}
		if e.TokenFile == "" {
			return "", permanent(fmt.Errorf("token variable %s is empty: export it with the endpoint's bearer token", e.TokenEnv))
		}
	}
	if e.TokenFile != "" {
		b, err := os.ReadFile(e.TokenFile)
		if err != nil {
			return "", fmt.Errorf("read token file: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	return "", nil
}

func (e Endpoint) timeout() time.Duration {
	if e.Timeout > 0 {
		return e.Timeout
	}
	return defaultEndpointTimeout
}

// do sends req with the endpoint's token and classifies the answer: 2xx is success (the body
// is returned), 408, 425, 429 and 5xx are retryable, other 4xx are permanent.
func (e Endpoint) do(ctx context.Context, client *http.Client, req *http.Request) ([]byte, error) {
	tok, err := e.token()
	if err != nil {
		return nil, err
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	ctx, cancel := context.WithTimeout(ctx, e.timeout())
	defer cancel()
	resp, err := client.Do(req.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", req.Method, redactURL(req.URL.String()), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("%s %s: read answer: %w", req.Method, redactURL(req.URL.String()), err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return body, nil
	}
	err = fmt.Errorf("%s %s: %s: %s", req.Method, redactURL(req.URL.String()), resp.Status, snippet(body))
	switch {
	case resp.StatusCode == http.StatusRequestTimeout, resp.StatusCode == http.StatusTooEarly,
		resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode >= 500:
		return nil, err
	default:
		return nil, permanent(err)
	}
}

// redactURL drops any user:password from a URL before it is logged.
func redactURL(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		if j := strings.IndexByte(u[i+3:], '@'); j >= 0 && !strings.Contains(u[i+3:i+3+j], "/") {
			return u[:i+3] + "***@" + u[i+3+j+1:]
		}
	}
	return u
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}
