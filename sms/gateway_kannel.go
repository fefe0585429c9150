package sms

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Kannel delivery-report types (the %d of a dlr-url).
const (
	kannelDLRDelivered    = 1
	kannelDLRUndelivered  = 2
	kannelDLRBuffered     = 4
	kannelDLRSMSCAccepted = 8
	kannelDLRSMSCRejected = 16
	kannelDLRMaskAll      = 31
)

// KannelGateway sends through Kannel smsbox's sendsms HTTP interface.
type KannelGateway struct {
	sendURL  string
	username string
	password string
	dlrURL   string
	dlrKey   []byte
	smsc     string
	client   *http.Client
}

// NewKannelGateway checks c and resolves its password (from password_env, password_file or
// password). dlrKey signs the id in the dlr-url so forged delivery reports are refused; pass
// the same key to Inbound.
func NewKannelGateway(c KannelConfig, dlrKey []byte) (*KannelGateway, error) {
	if c.SendURL == "" {
		return nil, errors.New("sms.kannel.send_url is empty: set it to smsbox's sendsms URL, e.g. http://127.0.0.1:13013/cgi-bin/sendsms")
	}
	if _, err := url.Parse(c.SendURL); err != nil {
		return nil, fmt.Errorf("sms.kannel.send_url: %w", err)
	}
	if c.Username == "" {
		return nil, errors.New("sms.kannel.username is empty: set it to the username of a sendsms-user group in kannel.conf")
	}
	pw, err := secret(c.Password, c.PasswordEnv, c.PasswordFile)
	if err != nil {
		return nil, fmt.Errorf("sms.kannel password: %w", err)
	}
	timeout := c.Timeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	return &KannelGateway{
		sendURL: c.SendURL, username: c.Username, password: pw,
		dlrURL: c.DLRURL, dlrKey: dlrKey, smsc: c.SMSC,
		client: &http.Client{Timeout: timeout},
	}, nil
}

// Name implements Gateway.
func (k *KannelGateway) Name() string { return "kannel" }

// Send implements Gateway. Text that GSM-7 cannot carry goes as UCS-2 (charset=UTF-8,
// coding=2): without coding, Kannel turns it into question marks and still answers 202.
// The returned gateway id is msg.ID, which Kannel echoes back in delivery reports.
func (k *KannelGateway) Send(ctx context.Context, msg Message) (string, error) {
	q := url.Values{}
	q.Set("username", k.username)
	q.Set("password", k.password)
	q.Set("from", msg.From)
	q.Set("to", msg.To)
	q.Set("text", msg.Text)
	q.Set("charset", "UTF-8")
	if Segments(msg.Text).Encoding == UCS2 {
		q.Set("coding", "2")
	}
	if k.smsc != "" {
		q.Set("smsc", k.smsc)
	}
	if k.dlrURL != "" && msg.ID != "" {
		q.Set("dlr-mask", fmt.Sprint(kannelDLRMaskAll))
		q.Set("dlr-url", k.dlrCallbackURL(msg.ID))
	}
	u, err := url.Parse(k.sendURL)
	if err != nil {
		return "", &GatewayError{Gateway: "kannel", Err: fmt.Errorf("sms.kannel.send_url: %w", err)}
	}
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", &GatewayError{Gateway: "kannel", Err: fmt.Errorf("build sendsms request: %w", err)}
	}
	resp, err := k.client.Do(req)
	if err != nil {
		// The request URL holds the password: name only send_url.
		return "", &GatewayError{Gateway: "kannel", Retryable: true, Err: fmt.Errorf("sendsms to %s: %w", k.sendURL, unwrapURLError(err))}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	reply := strings.TrimSpace(string(body))
	switch {
	case resp.StatusCode == http.StatusAccepted || resp.StatusCode == http.StatusOK:
		// "0: Accepted for delivery" or "3: Queued for later delivery".
		return msg.ID, nil
	case retryableStatus(resp.StatusCode):
		return "", &GatewayError{Gateway: "kannel", Retryable: true, Status: resp.StatusCode, Err: fmt.Errorf("sendsms answered %q", reply)}
	default:
		return "", &GatewayError{Gateway: "kannel", Status: resp.StatusCode, Err: fmt.Errorf("sendsms refused the text: %q (check sms.kannel username/password and the sendsms-user group)", reply)}
	}
}

// dlrCallbackURL is the dlr-url for one text: ivrd's DLR handler with the text's id, its
// signature, and Kannel's escapes for the report type and the SMSC's reply.
func (k *KannelGateway) dlrCallbackURL(id string) string {
	sep := "?"
	if strings.Contains(k.dlrURL, "?") {
		sep = "&"
	}
	u := k.dlrURL + sep + "id=" + url.QueryEscape(id)
	if len(k.dlrKey) > 0 {
		u += "&sig=" + dlrSignature(k.dlrKey, id)
	}
	// Kannel replaces %d and %A; they must reach it unescaped.
	return u + "&type=%d&reply=%A"
}

// dlrSignature signs a text id for the dlr-url.
func dlrSignature(key []byte, id string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	return hex.EncodeToString(m.Sum(nil))[:32]
}

// unwrapURLError drops net/url's wrapper, whose message repeats the request URL.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
