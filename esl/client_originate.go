package esl

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"
)

// OriginateRequest describes a call to place.
type OriginateRequest struct {
	// Dial is the endpoint: "sofia/gateway/gw1/0123456789", "loopback/5000/default".
	Dial string
	// Vars are channel variables for every leg ({k=v,...}).
	Vars map[string]string
	// LegVars are variables for the Dial leg only ([k=v,...] in front of it).
	LegVars map[string]string
	// CallerIDNumber and CallerIDName are what the callee sees.
	CallerIDNumber, CallerIDName string
	// Timeout is how long the callee may ring before NO_ANSWER, in whole seconds (sent as
	// originate_timeout: call_timeout is ignored by originate). 0: FreeSWITCH's default 60 s.
	Timeout time.Duration
	// App is what the answered leg runs: "&park()" (default), "&socket(127.0.0.1:8084 async
	// full)", or an extension "5000 XML default".
	App string
	// UUID is the new channel's UUID (origination_uuid); generated when empty.
	UUID string
}

// Originate places a call with bgapi (our own Job-UUID) and waits until it is answered or
// fails. It returns the answered channel's UUID. A failure is an *OriginateError with the
// hangup cause (USER_BUSY, NO_ANSWER, ...) and Retryable(). If the job was accepted but its
// result never arrived (connection lost, ctx ended), the error wraps ErrOutcomeUnknown and the
// UUID is still returned: check it (uuid_exists) before placing the call again.
func (c *Client) Originate(ctx context.Context, req OriginateRequest) (string, error) {
	cmdline, uuid, err := req.command()
	if err != nil {
		return "", err
	}
	_, body, err := c.bgapi(ctx, cmdline)
	if err != nil {
		if errors.Is(err, ErrOutcomeUnknown) {
			return uuid, fmt.Errorf("originate %s (uuid %s): %w", req.Dial, uuid, err)
		}
		return "", fmt.Errorf("originate %s: %w", req.Dial, err)
	}
	return parseOriginateResult(req.Dial, body)
}

func parseOriginateResult(dial, body string) (string, error) {
	line := strings.TrimSpace(body)
	if rest, ok := strings.CutPrefix(line, "+OK"); ok {
		id := strings.TrimSpace(rest)
		if id == "" {
			return "", &OriginateError{Dial: dial, Reply: line}
		}
		return id, nil
	}
	if rest, ok := strings.CutPrefix(line, "-ERR"); ok {
		cause, known := ParseCause(strings.TrimSpace(rest))
		if !known {
			return "", &OriginateError{Dial: dial, Reply: line}
		}
		return "", &OriginateError{Dial: dial, Cause: cause}
	}
	return "", &OriginateError{Dial: dial, Reply: line}
}

// command renders `originate {vars}[legvars]dial app`.
func (r OriginateRequest) command() (string, string, error) {
	if r.Dial == "" || strings.ContainsAny(r.Dial, " \t\r\n") {
		return "", "", fmt.Errorf("%w: originate dial string %q must be non-empty without spaces", ErrBadArgument, r.Dial)
	}
	app := r.App
	if app == "" {
		app = "&park()"
	}
	if strings.ContainsAny(app, "\r\n'") {
		return "", "", fmt.Errorf("%w: originate app %q may not contain quotes or newlines", ErrBadArgument, app)
	}
	if strings.HasPrefix(app, "&") && strings.Contains(app, " ") {
		// originate splits its arguments on spaces outside single quotes.
		app = "'" + app + "'"
	}
	vars := maps.Clone(r.Vars)
	if vars == nil {
		vars = make(map[string]string)
	}
	uuid := r.UUID
	if uuid == "" {
		uuid = newUUID()
	}
	vars["origination_uuid"] = uuid
	if r.CallerIDNumber != "" {
		vars["origination_caller_id_number"] = r.CallerIDNumber
	}
	if r.CallerIDName != "" {
		vars["origination_caller_id_name"] = r.CallerIDName
	}
	if r.Timeout > 0 {
		vars["originate_timeout"] = strconv.FormatInt(int64((r.Timeout+time.Second-1)/time.Second), 10)
	}
	g, err := formatVars('{', '}', vars)
	if err != nil {
		return "", "", fmt.Errorf("originate %s: %w", r.Dial, err)
	}
	l, err := formatVars('[', ']', r.LegVars)
	if err != nil {
		return "", "", fmt.Errorf("originate %s: %w", r.Dial, err)
	}
	return "originate " + g + l + r.Dial + " " + app, uuid, nil
}

// Hangup kills a channel on this node (uuid_kill) with cause ("" means NORMAL_CLEARING).
func (c *Client) Hangup(ctx context.Context, uuid string, cause Cause) error {
	if uuid == "" || strings.ContainsAny(uuid, " \r\n") {
		return fmt.Errorf("%w: uuid %q", ErrBadArgument, uuid)
	}
	if cause == "" {
		cause = CauseNormalClearing
	}
	_, err := c.API(ctx, "uuid_kill "+uuid+" "+string(cause))
	return err
}

// Exists says whether a channel is up on this node (uuid_exists).
func (c *Client) Exists(ctx context.Context, uuid string) (bool, error) {
	out, err := c.API(ctx, "uuid_exists "+uuid)
	if err != nil {
		return false, err
	}
	return strings.TrimSpace(out) == "true", nil
}
