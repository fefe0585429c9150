package sms

import (
	"fmt"
	"io"
	"net/url"
	"strings"
)

// KannelConfOptions describe the kannel.conf groups ivrd needs.
type KannelConfOptions struct {
	// IvrdURL is the base URL Kannel reaches ivrd's HTTP listener at, e.g. http://ivrd:8080.
	IvrdURL string
	// Kannel is the sms.kannel section (send_url gives the sendsms port, username the user).
	Kannel KannelConfig
}

// WriteKannelConf writes the smsbox, sendsms-user and sms-service groups of a kannel.conf
// that match ivrd: inbound texts to ivrd's handler with every field it needs, the HTTP reply
// not texted back (max-messages = 0), UCS-2 texts recoded to UTF-8 (mo-recode), requests to
// ivrd retried while it is down, and long outbound texts concatenated. The password is left
// for the operator to fill in.
func WriteKannelConf(w io.Writer, o KannelConfOptions) error {
	base := strings.TrimRight(o.IvrdURL, "/")
	if _, err := url.Parse(base); err != nil || !strings.HasPrefix(base, "http") {
		return fmt.Errorf("ivrd URL %q: want http://HOST:PORT as Kannel reaches ivrd", o.IvrdURL)
	}
	port := "13013"
	if u, err := url.Parse(o.Kannel.SendURL); err == nil && u.Port() != "" {
		port = u.Port()
	}
	user := o.Kannel.Username
	if user == "" {
		user = "ivrd"
	}
	pwHint := "the password ivrd reads from sms.kannel.password_env"
	if o.Kannel.PasswordEnv != "" {
		pwHint = "the value of $" + o.Kannel.PasswordEnv + " on ivrd's side"
	}
	_, err := fmt.Fprintf(w, `# kannel.conf groups for ivrd (add a core group and your smsc groups).

group = smsbox
bearerbox-host = 127.0.0.1
sendsms-port = %s
# Deliver UCS-2 texts (e.g. Chinese) to ivrd as UTF-8.
mo-recode = true
# Keep retrying ivrd while it is down or restarting instead of dropping texts.
http-request-retry = 100
http-queue-delay = 10

group = sendsms-user
username = %s
# password = %s
password = CHANGE-ME
# Long texts go out as concatenated parts.
max-messages = 10
concatenation = true

group = sms-service
keyword = default
catch-all = true
# ivrd answers through sendsms itself; never text the HTTP reply back.
max-messages = 0
get-url = "%s%s?id=%%I&from=%%p&to=%%P&text=%%b&coding=%%c&charset=%%C"
`, port, user, pwHint, base, PathKannelInbound)
	return err
}
