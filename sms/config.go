package sms

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/ivrd/ivrd/ivr/expr"
)

// Config is the sms: section of ivrd.yaml.
type Config struct {
	// Gateway names the gateway outbound texts go through: "kannel", "twilio" or "console".
	Gateway string `yaml:"gateway"`
	// From is the sender shown to recipients: the hotline number or a short code.
	From string `yaml:"from"`
	// DefaultRegion is the ISO country (e.g. "US", "CN") used to read numbers written without
	// a leading +country code.
	DefaultRegion string `yaml:"default_region"`
	// DefaultLang is the language of replies when the text does not tell (e.g. "en").
	DefaultLang string `yaml:"default_lang"`

	Kannel KannelConfig `yaml:"kannel"`
	Twilio TwilioConfig `yaml:"twilio"`

	Limits     Limits     `yaml:"limits"`
	QuietHours QuietHours `yaml:"quiet_hours"`

	// Templates maps a template name to its text per language, e.g.
	// templates: {help: {en: "Reply CALL ...", zh: "..."}}. Texts use {{...}} variables.
	Templates map[string]map[string]string `yaml:"templates"`
	// Keywords are the rules that answer inbound texts, tried in order of the longest keyword.
	Keywords []KeywordRule `yaml:"keywords"`
	// FollowUps are the post-call text rules.
	FollowUps []FollowUpRule `yaml:"followups"`
	// Retry bounds how a failing gateway is retried.
	Retry Retry `yaml:"retry"`
}

// KannelConfig says how to reach Kannel's smsbox.
type KannelConfig struct {
	// SendURL is smsbox's sendsms URL, e.g. http://127.0.0.1:13013/cgi-bin/sendsms.
	SendURL  string `yaml:"send_url"`
	Username string `yaml:"username"`
	// Password, or better PasswordEnv / PasswordFile, is the sendsms-user password.
	Password     string `yaml:"password"`
	PasswordEnv  string `yaml:"password_env"`
	PasswordFile string `yaml:"password_file"`
	// DLRURL is where Kannel reaches ivrd's delivery-report handler, e.g.
	// http://ivrd:8080/sms/kannel/dlr. Empty: no delivery reports are asked for.
	DLRURL string `yaml:"dlr_url"`
	// DLRSecret (better DLRSecretEnv / DLRSecretFile) signs the text id in each dlr-url so
	// forged delivery reports are refused with 403. Every ivrd sharing a database must use
	// the same secret. Empty: reports are not signed.
	DLRSecret     string `yaml:"dlr_secret"`
	DLRSecretEnv  string `yaml:"dlr_secret_env"`
	DLRSecretFile string `yaml:"dlr_secret_file"`
	// SMSC routes outbound texts to one smsc-id (optional).
	SMSC string `yaml:"smsc"`
	// Timeout bounds one sendsms request (default 10s).
	Timeout time.Duration `yaml:"timeout"`
}

// TwilioConfig says how to reach a Twilio-compatible Messages API.
type TwilioConfig struct {
	// BaseURL defaults to https://api.twilio.com.
	BaseURL    string `yaml:"base_url"`
	AccountSID string `yaml:"account_sid"`
	// AuthToken, or better AuthTokenEnv / AuthTokenFile, signs and authenticates requests.
	AuthToken     string `yaml:"auth_token"`
	AuthTokenEnv  string `yaml:"auth_token_env"`
	AuthTokenFile string `yaml:"auth_token_file"`
	// MessagingServiceSID is used instead of From when set.
	MessagingServiceSID string `yaml:"messaging_service_sid"`
	// PublicURL is the base URL Twilio calls ivrd on (e.g. https://ivrd.example.com); the
	// signature covers the full URL, so it must be exactly what Twilio was configured with.
	PublicURL string `yaml:"public_url"`
	// StatusCallbackURL is the full URL of ivrd's status handler, sent with each message.
	StatusCallbackURL string `yaml:"status_callback_url"`
	// Timeout bounds one API request (default 10s).
	Timeout time.Duration `yaml:"timeout"`
}

// Limits protect recipients from floods.
type Limits struct {
	// MinInterval is the least time between two texts to one number (0: no limit).
	MinInterval time.Duration `yaml:"min_interval"`
	// PerNumberPerDay caps texts to one number in 24 hours (0: no cap).
	PerNumberPerDay int `yaml:"per_number_per_day"`
	// FollowUpsPerNumberPerDay caps follow-up texts to one number in 24 hours (0: no cap).
	FollowUpsPerNumberPerDay int `yaml:"followups_per_number_per_day"`
}

// QuietHours is the local time of day when unsolicited texts wait (replies to a text the
// customer just sent are not held back).
type QuietHours struct {
	// Start and End are "HH:MM" in the recipient's time zone; Start > End spans midnight.
	// Both empty: no quiet hours.
	Start string `yaml:"start"`
	End   string `yaml:"end"`
	// DefaultTimezone is used when the number's country does not tell (IANA name).
	DefaultTimezone string `yaml:"default_timezone"`
	// Timezones overrides by E.164 prefix, e.g. {"+1212": "America/New_York"}; longest wins.
	Timezones map[string]string `yaml:"timezones"`
}

// Retry bounds how a failing gateway is retried by the send job.
type Retry struct {
	// MaxAttempts is how many times a text is tried (default 10).
	MaxAttempts int `yaml:"max_attempts"`
	// Backoff is the first retry delay, doubled each attempt up to MaxBackoff
	// (defaults 5s and 10m).
	Backoff    time.Duration `yaml:"backoff"`
	MaxBackoff time.Duration `yaml:"max_backoff"`
}

// KeywordRule answers inbound texts whose words match one of Words.
type KeywordRule struct {
	// Lang is the language of the keywords and of the reply ("en", "zh", ...).
	Lang string `yaml:"lang"`
	// Words are matched without regard to case, spaces and punctuation: "Call me!" matches
	// "CALL ME". A text matches when it is a word or begins with it.
	Words []string `yaml:"words"`
	// Action is one of callback, stop, start, reply.
	Action Action `yaml:"action"`
	// Template is the reply's template name (required for reply; optional for the others).
	Template string `yaml:"template"`
}

// Action is what a keyword does.
type Action string

// The keyword actions.
const (
	ActionCallback Action = "callback"
	ActionStop     Action = "stop"
	ActionStart    Action = "start"
	ActionReply    Action = "reply"
	// ActionUnknown is recorded for texts no rule matched; they get the "unknown" template.
	ActionUnknown Action = "unknown"
)

// Template names the package itself uses; define them under templates: per language.
const (
	TemplateUnknown          = "unknown"            // reply to a text no rule matched (the menu)
	TemplateStopped          = "stopped"            // confirmation of STOP
	TemplateStarted          = "started"            // confirmation of START
	TemplateCallbackConfirm  = "callback_confirmed" // {{eta}}, {{eta_minutes}}
	TemplateCallbackRefused  = "callback_refused"   // {{reason}}
	TemplateCallbackTryLater = "callback_failed"    // callback package could not take it now
)

// FollowUpRule sends Template after a call that matches every condition given.
type FollowUpRule struct {
	// Name identifies the rule; a call gets at most one text per rule.
	Name string `yaml:"name"`
	// Outcomes: the call's outcome is one of these (e.g. completed, abandoned, after_hours).
	Outcomes []string `yaml:"outcomes"`
	// Steps: the call visited at least one of these flow steps (e.g. card_services).
	Steps []string `yaml:"steps"`
	// Tags: the flow set at least one of these tags (e.g. abandoned_in_queue).
	Tags []string `yaml:"tags"`
	// Template is the text to send.
	Template string `yaml:"template"`
}

// secret resolves a secret from, in order, an environment variable, a file, the literal.
func secret(literal, env, file string) (string, error) {
	if env != "" {
		if v := os.Getenv(env); v != "" {
			return v, nil
		}
	}
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("read secret file %s: %w", file, err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	if literal == "" && env != "" {
		return "", fmt.Errorf("environment variable %s is empty: set it to the secret", env)
	}
	return literal, nil
}

// withDefaults fills in zero fields.
func (c Config) withDefaults() Config {
	if c.DefaultLang == "" {
		c.DefaultLang = "en"
	}
	if c.Retry.MaxAttempts == 0 {
		c.Retry.MaxAttempts = 10
	}
	if c.Retry.Backoff == 0 {
		c.Retry.Backoff = 5 * time.Second
	}
	if c.Retry.MaxBackoff == 0 {
		c.Retry.MaxBackoff = 10 * time.Minute
	}
	return c
}

// Validate reports the first problem of the section, naming the field to fix.
func (c Config) Validate() error {
	switch c.Gateway {
	case "", "console":
	case "kannel":
		if c.Kannel.SendURL == "" || c.Kannel.Username == "" {
			return errors.New("sms.gateway is kannel: set sms.kannel.send_url and sms.kannel.username (and password_env)")
		}
		if c.From == "" {
			return errors.New("sms.from is empty: set it to the hotline number or short code texts come from")
		}
	case "twilio":
		if c.Twilio.AccountSID == "" {
			return errors.New("sms.gateway is twilio: set sms.twilio.account_sid and auth_token_env")
		}
		if c.From == "" && c.Twilio.MessagingServiceSID == "" {
			return errors.New("sms.from is empty: set it to your Twilio number (or set sms.twilio.messaging_service_sid)")
		}
	default:
		return fmt.Errorf("sms.gateway %q: want kannel, twilio or console", c.Gateway)
	}
	if _, _, err := c.QuietHours.parse(); err != nil {
		return err
	}
	for i, r := range c.Keywords {
		switch r.Action {
		case ActionCallback, ActionStop, ActionStart:
		case ActionReply:
			if r.Template == "" {
				return fmt.Errorf("sms.keywords[%d]: action reply needs a template", i)
			}
		default:
			return fmt.Errorf("sms.keywords[%d]: action %q: want callback, stop, start or reply", i, r.Action)
		}
		if len(r.Words) == 0 {
			return fmt.Errorf("sms.keywords[%d]: no words", i)
		}
		if r.Template != "" {
			if _, ok := c.Templates[r.Template]; !ok {
				return fmt.Errorf("sms.keywords[%d]: template %q is not defined under sms.templates", i, r.Template)
			}
		}
	}
	for name, langs := range c.Templates {
		for lang, text := range langs {
			if _, err := expr.ParseTemplate(text); err != nil {
				return fmt.Errorf("sms.templates.%s.%s: %w", name, lang, err)
			}
		}
	}
	seen := map[string]bool{}
	for i, f := range c.FollowUps {
		if f.Name == "" {
			return fmt.Errorf("sms.followups[%d]: name is required (a call gets one text per rule name)", i)
		}
		if seen[f.Name] {
			return fmt.Errorf("sms.followups[%d]: name %q used twice", i, f.Name)
		}
		seen[f.Name] = true
		if _, ok := c.Templates[f.Template]; !ok {
			return fmt.Errorf("sms.followups[%d] (%s): template %q is not defined under sms.templates", i, f.Name, f.Template)
		}
	}
	return nil
}
