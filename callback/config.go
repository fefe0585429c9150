package callback

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Config is the callbacks: section of ivrd.yaml.
type Config struct {
	// Calendar names the calendar (calendars: in ivrd.yaml) whose open hours callbacks are
	// placed in ("" : any time).
	Calendar string `yaml:"calendar"`
	// Flow is the flow the answered customer hears (default "callback"); it is set on the call
	// as ivrd_flow so the daemon routes the outbound socket session to it.
	Flow string `yaml:"flow"`
	// Queue is the queue an answered callback joins when the request names none.
	Queue string `yaml:"queue"`
	// Mode is customer-first (default: dial the customer, the flow puts them in the queue) or
	// agent-first (reserve an agent from Agents, then dial the customer and bridge them).
	Mode string `yaml:"mode"`
	// Agents are the dial strings agent-first mode tries in order (e.g. user/1001).
	Agents []string `yaml:"agents"`

	// Dial is the dial string for the customer; {number} is the E.164 number, {digits} the
	// same without '+'. Example: sofia/gateway/carrier/{number}.
	Dial string `yaml:"dial"`
	// CallerID is the number the customer sees (origination_caller_id_number).
	CallerID     string `yaml:"caller_id"`
	CallerIDName string `yaml:"caller_id_name"`
	// RingTimeout is how long the customer's phone rings (originate_timeout; default 30s).
	RingTimeout time.Duration `yaml:"ring_timeout"`
	// Socket is ivrd's outbound socket address FreeSWITCH connects the answered call to
	// (default: listen.outbound, given by the daemon).
	Socket string `yaml:"socket"`
	// Extension, when set, is where the answered leg goes instead of &socket(Socket async
	// full): a dialplan extension "NUMBER XML CONTEXT" whose action is that socket.
	Extension string `yaml:"extension"`

	// DefaultRegion reads numbers written without +country (ISO code, e.g. "US").
	DefaultRegion string `yaml:"default_region"`
	// AllowCountries are the ISO regions callbacks may go to (default: DefaultRegion only;
	// every other country is international and refused).
	AllowCountries []string `yaml:"allow_countries"`
	// AllowPrefixes are E.164 prefixes allowed even when their country or type is not
	// (e.g. "+4420" for one partner); DenyPrefixes always win (e.g. "+1900", "+1976").
	AllowPrefixes []string `yaml:"allow_prefixes"`
	DenyPrefixes  []string `yaml:"deny_prefixes"`
	// AllowOtherNumber lets a flow's callback step name a number other than the caller's
	// (default false: callbacks go only to the number that asked).
	AllowOtherNumber bool `yaml:"allow_other_number"`
	// PerNumberPerDay caps requests accepted per number in 24 hours (default 3).
	PerNumberPerDay int `yaml:"per_number_per_day"`
	// DedupeWindow: a request for a number that asked within this long gets the earlier
	// callback (default 2h). A request still waiting or dialing is always a duplicate.
	DedupeWindow time.Duration `yaml:"dedupe_window"`

	// MaxAttempts bounds the calls per request (default 3).
	MaxAttempts int `yaml:"max_attempts"`
	// Backoff is the wait after the first failed attempt, doubled each time up to MaxBackoff
	// (defaults 5m and 30m).
	Backoff    time.Duration `yaml:"backoff"`
	MaxBackoff time.Duration `yaml:"max_backoff"`
	// Deadline: no attempt starts later than this after the request (default 24h).
	Deadline time.Duration `yaml:"deadline"`

	// CallsPerSecond paces originates across the whole process (default 5).
	CallsPerSecond float64 `yaml:"calls_per_second"`
	// MaxPerNode caps originates in flight per FreeSWITCH node (default 10).
	MaxPerNode int `yaml:"max_per_node"`
	// Workers is how many callbacks one ivrd dials at once (default 20).
	Workers int `yaml:"workers"`
	// JobTimeout bounds one attempt's job: pacing wait, ring time and answer (default twice
	// RingTimeout plus a minute). A killed ivrd's jobs are taken up again (and reconciled)
	// only after it, so keep River's RescueStuckJobsAfter above it.
	JobTimeout time.Duration `yaml:"job_timeout"`
	// PerCallEstimate is the time one callback ahead in line adds to the ETA (default 2m).
	PerCallEstimate time.Duration `yaml:"per_call_estimate"`

	// FailedText is the text sent after the last attempt, per language; {{eta}} is not
	// used; {{number}} is the hotline's CallerID.
	FailedText map[string]string `yaml:"failed_text"`
}

// Modes.
const (
	ModeCustomerFirst = "customer-first"
	ModeAgentFirst    = "agent-first"
)

// WithDefaults fills in zero fields.
func (c Config) WithDefaults() Config {
	if c.Flow == "" {
		c.Flow = "callback"
	}
	if c.Mode == "" {
		c.Mode = ModeCustomerFirst
	}
	if c.Dial == "" {
		c.Dial = "sofia/gateway/carrier/{number}"
	}
	if c.RingTimeout <= 0 {
		c.RingTimeout = 30 * time.Second
	}
	if c.DefaultRegion == "" {
		c.DefaultRegion = "US"
	}
	if len(c.AllowCountries) == 0 {
		c.AllowCountries = []string{c.DefaultRegion}
	}
	if c.PerNumberPerDay <= 0 {
		c.PerNumberPerDay = 3
	}
	if c.DedupeWindow <= 0 {
		c.DedupeWindow = 2 * time.Hour
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 3
	}
	if c.Backoff <= 0 {
		c.Backoff = 5 * time.Minute
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 30 * time.Minute
	}
	if c.MaxBackoff < c.Backoff {
		c.MaxBackoff = c.Backoff
	}
	if c.Deadline <= 0 {
		c.Deadline = 24 * time.Hour
	}
	if c.CallsPerSecond <= 0 {
		c.CallsPerSecond = 5
	}
	if c.MaxPerNode <= 0 {
		c.MaxPerNode = 10
	}
	if c.Workers <= 0 {
		c.Workers = 20
	}
	if c.JobTimeout <= 0 {
		c.JobTimeout = 2*c.RingTimeout + time.Minute
	}
	if c.PerCallEstimate <= 0 {
		c.PerCallEstimate = 2 * time.Minute
	}
	if len(c.FailedText) == 0 {
		c.FailedText = map[string]string{"en": "We tried to call you back but could not reach you. Call us at {{number}} or reply CALL to be called again."}
	}
	return c
}

// Validate reports every problem of the section (defaults filled in first), each naming the
// field to fix; config.Check calls it.
func (c Config) Validate() error {
	c = c.WithDefaults()
	var errs []error
	switch c.Mode {
	case ModeCustomerFirst:
	case ModeAgentFirst:
		if len(c.Agents) == 0 {
			errs = append(errs, errors.New("callbacks.mode is agent-first: list the agents' dial strings under callbacks.agents (e.g. user/1001)"))
		}
	default:
		errs = append(errs, fmt.Errorf("callbacks.mode %q: want customer-first or agent-first", c.Mode))
	}
	if !strings.Contains(c.Dial, "{number}") && !strings.Contains(c.Dial, "{digits}") {
		errs = append(errs, fmt.Errorf("callbacks.dial %q has no {number} or {digits}: write e.g. sofia/gateway/carrier/{number}", c.Dial))
	}
	if strings.ContainsAny(c.Dial, " \t") {
		errs = append(errs, fmt.Errorf("callbacks.dial %q contains a space; FreeSWITCH splits originate on spaces", c.Dial))
	}
	for _, p := range append(append([]string(nil), c.AllowPrefixes...), c.DenyPrefixes...) {
		if !strings.HasPrefix(p, "+") || len(p) < 2 {
			errs = append(errs, fmt.Errorf("callbacks: prefix %q must be E.164, starting with + and the country code (e.g. +1900)", p))
		}
	}
	for _, r := range c.AllowCountries {
		if len(r) != 2 {
			errs = append(errs, fmt.Errorf("callbacks.allow_countries: %q is not a two-letter ISO country code (e.g. US, GB)", r))
		}
	}
	return errors.Join(errs...)
}

// dialString renders Dial for an E.164 number.
func (c Config) dialString(e164 string) string {
	s := strings.ReplaceAll(c.Dial, "{number}", e164)
	return strings.ReplaceAll(s, "{digits}", strings.TrimPrefix(e164, "+"))
}

// backoff is the wait after failed attempt n (1-based).
func (c Config) backoff(n int) time.Duration {
	d := c.Backoff
	for i := 1; i < n && d < c.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, c.MaxBackoff)
}
