package sms

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
)

const (
	testTwilioSID   = "AC0123456789abcdef0123456789abcdef"
	testTwilioToken = "twilio-test-token"
)

// fakeTwilio plays Twilio's Messages API over HTTP: basic auth checked, form decoded, an SM
// sid for each accepted message. failNext answers the next requests with 503.
type fakeTwilio struct {
	srv      *httptest.Server
	mu       sync.Mutex
	accepted []url.Values
	requests int
	failNext int
	reject   bool // answer 400 (invalid number) instead
}

func newFakeTwilio(t *testing.T) *fakeTwilio {
	f := &fakeTwilio{}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeTwilio) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests++
	user, pass, ok := r.BasicAuth()
	if !ok || user != testTwilioSID || pass != testTwilioToken {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"code": 20003, "message": "Authenticate"}`)
		return
	}
	if r.Method != http.MethodPost || r.URL.Path != "/2010-04-01/Accounts/"+testTwilioSID+"/Messages.json" {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	if err := r.ParseForm(); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if f.failNext > 0 {
		f.failNext--
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, `{"code": 20503, "message": "Service unavailable"}`)
		return
	}
	if f.reject {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"code": 21211, "message": "The 'To' number is not a valid phone number."}`)
		return
	}
	f.accepted = append(f.accepted, r.PostForm)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]string{"sid": fmt.Sprintf("SM%032d", len(f.accepted)), "status": "queued"})
}

func (f *fakeTwilio) snapshot() (accepted []url.Values, requests int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]url.Values(nil), f.accepted...), f.requests
}

func (f *fakeTwilio) config() TwilioConfig {
	return TwilioConfig{BaseURL: f.srv.URL, AccountSID: testTwilioSID, AuthToken: testTwilioToken}
}

func (f *fakeTwilio) gateway(t *testing.T) *TwilioGateway {
	t.Helper()
	g, err := NewTwilioGateway(f.config())
	if err != nil {
		t.Fatal(err)
	}
	return g
}
