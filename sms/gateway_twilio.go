package sms

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// TwilioGateway sends through a Twilio-compatible Messages API.
type TwilioGateway struct {
	baseURL        string
	accountSID     string
	authToken      string
	serviceSID     string
	statusCallback string
	client         *http.Client
}

// NewTwilioGateway checks c and resolves the auth token (auth_token_env, auth_token_file or
// auth_token).
func NewTwilioGateway(c TwilioConfig) (*TwilioGateway, error) {
	if c.AccountSID == "" {
		return nil, errors.New("sms.twilio.account_sid is empty: set it to your account SID (AC...)")
	}
	tok, err := secret(c.AuthToken, c.AuthTokenEnv, c.AuthTokenFile)
	if err != nil {
		return nil, fmt.Errorf("sms.twilio auth token: %w", err)
	}
	if tok == "" {
		return nil, errors.New("sms.twilio auth token is empty: set auth_token_env to the variable holding it")
	}
	base := strings.TrimRight(c.BaseURL, "/")
	if base == "" {
		base = "https://api.twilio.com"
	}
	timeout := c.Timeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	return &TwilioGateway{
		baseURL: base, accountSID: c.AccountSID, authToken: tok, serviceSID: c.MessagingServiceSID,
		statusCallback: c.StatusCallbackURL, client: &http.Client{Timeout: timeout},
	}, nil
}

// Name implements Gateway.
func (g *TwilioGateway) Name() string { return "twilio" }

// twilioReply is the part of the Messages API answer ivrd reads.
type twilioReply struct {
	SID     string `json:"sid"`
	Status  string `json:"status"`
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// Send implements Gateway: a form POST to /2010-04-01/Accounts/{sid}/Messages.json with basic
// auth. The gateway id is the message SID (SM...).
func (g *TwilioGateway) Send(ctx context.Context, msg Message) (string, error) {
	form := url.Values{}
	form.Set("To", msg.To)
	if g.serviceSID != "" {
		form.Set("MessagingServiceSid", g.serviceSID)
	} else {
		form.Set("From", msg.From)
	}
	form.Set("Body", msg.Text)
	if g.statusCallback != "" {
		form.Set("StatusCallback", g.statusCallback)
	}
	u := g.baseURL + "/2010-04-01/Accounts/" + url.PathEscape(g.accountSID) + "/Messages.json"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return "", &GatewayError{Gateway: "twilio", Err: fmt.Errorf("build request: %w", err)}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(g.accountSID, g.authToken)
	resp, err := g.client.Do(req)
	if err != nil {
		return "", &GatewayError{Gateway: "twilio", Retryable: true, Err: fmt.Errorf("POST %s: %w", u, unwrapURLError(err))}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var r twilioReply
	_ = json.Unmarshal(body, &r) // error bodies may not be JSON; the status decides
	switch {
	case resp.StatusCode == http.StatusCreated || resp.StatusCode == http.StatusOK:
		if r.SID == "" {
			return "", &GatewayError{Gateway: "twilio", Retryable: true, Status: resp.StatusCode, Err: fmt.Errorf("answer has no sid: %.200q", body)}
		}
		return r.SID, nil
	case retryableStatus(resp.StatusCode):
		return "", &GatewayError{Gateway: "twilio", Retryable: true, Status: resp.StatusCode, Err: fmt.Errorf("code %d: %s", r.Code, r.Message)}
	default:
		return "", &GatewayError{Gateway: "twilio", Status: resp.StatusCode, Err: fmt.Errorf("refused: code %d: %s", r.Code, r.Message)}
	}
}

// TwilioSignature computes X-Twilio-Signature for a request to fullURL with form params:
// base64(HMAC-SHA1(token, fullURL + each param name and value, sorted by name)).
func TwilioSignature(token, fullURL string, params url.Values) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	m := hmac.New(sha1.New, []byte(token))
	m.Write([]byte(fullURL))
	for _, k := range keys {
		vs := append([]string(nil), params[k]...)
		sort.Strings(vs)
		for _, v := range vs {
			m.Write([]byte(k))
			m.Write([]byte(v))
		}
	}
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// checkTwilioSignature verifies r (whose form is parsed) against the signature it carries.
func checkTwilioSignature(token, publicURL string, r *http.Request) error {
	got := r.Header.Get("X-Twilio-Signature")
	if got == "" {
		return errors.New("missing X-Twilio-Signature header")
	}
	full := requestURL(publicURL, r)
	want := TwilioSignature(token, full, r.PostForm)
	if !hmac.Equal([]byte(got), []byte(want)) {
		return fmt.Errorf("X-Twilio-Signature does not match for URL %s: check sms.twilio.public_url and the auth token", full)
	}
	return nil
}

// requestURL is the URL the sender signed: publicURL (scheme://host[/prefix]) plus the path
// and query ivrd saw, or the request's own host when publicURL is empty.
func requestURL(publicURL string, r *http.Request) string {
	if publicURL != "" {
		return strings.TrimRight(publicURL, "/") + r.URL.RequestURI()
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p != "" {
		scheme = p
	}
	return scheme + "://" + r.Host + r.URL.RequestURI()
}
