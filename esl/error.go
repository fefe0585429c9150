package esl

import (
	"errors"
	"fmt"
)

// Sentinel errors. Match them with errors.Is.
var (
	// ErrHangup: the channel hung up; the command could not run or was cut short. The error
	// is a *HangupError carrying the cause.
	ErrHangup = errors.New("esl: call hung up")
	// ErrClosed: the connection to FreeSWITCH is closed (it dropped, timed out, or was shut down).
	ErrClosed = errors.New("esl: connection closed")
	// ErrTimeout: FreeSWITCH did not reply within the command's deadline. The connection was
	// closed so the late reply can never be taken for the reply to another command.
	ErrTimeout = errors.New("esl: command timed out")
	// ErrAuth: FreeSWITCH refused the ESL password.
	ErrAuth = errors.New("esl: authentication failed")
	// ErrCommand: FreeSWITCH answered a command with -ERR (or -USAGE). The error is a *CommandError.
	ErrCommand = errors.New("esl: command failed")
	// ErrNotConnected: no connection to that FreeSWITCH is up and the context ended while waiting.
	ErrNotConnected = errors.New("esl: not connected")
	// ErrBadArgument: a value cannot be sent to FreeSWITCH as given (a space in a file name
	// where FreeSWITCH splits on spaces, a newline in a header, ...).
	ErrBadArgument = errors.New("esl: bad argument")
)

// HangupError says a call hung up and why. errors.Is(err, ErrHangup) is true for it.
type HangupError struct {
	UUID  string
	Cause Cause // "" when the socket closed without a hangup event
	// Err is why the socket closed, if it did (wraps ErrClosed).
	Err error
}

func (e *HangupError) Error() string {
	if e.Cause == "" {
		return fmt.Sprintf("esl: call %s ended: socket closed without a hangup event", e.UUID)
	}
	return fmt.Sprintf("esl: call %s hung up: %s", e.UUID, e.Cause)
}

// Unwrap returns why the socket closed, if it did.
func (e *HangupError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrHangup) true.
func (e *HangupError) Is(target error) bool { return target == ErrHangup }

// CommandError is FreeSWITCH's -ERR answer to a command: Command is what was sent (without
// secrets), Reply what FreeSWITCH said ("-ERR No such channel!").
type CommandError struct {
	Command string
	Reply   string
}

func (e *CommandError) Error() string {
	return fmt.Sprintf("esl: %s: %s", e.Command, e.Reply)
}

// Is makes errors.Is(err, ErrCommand) true.
func (e *CommandError) Is(target error) bool { return target == ErrCommand }

// OriginateError is a failed originate: the hangup cause FreeSWITCH reported ("-ERR USER_BUSY").
// Retryable says whether trying again later makes sense.
type OriginateError struct {
	Dial  string
	Cause Cause
	// Reply is FreeSWITCH's whole answer when it was not a plain cause.
	Reply string
}

func (e *OriginateError) Error() string {
	if e.Cause == "" {
		return fmt.Sprintf("esl: originate %s: %s", e.Dial, e.Reply)
	}
	return fmt.Sprintf("esl: originate %s: %s", e.Dial, e.Cause)
}

// Retryable reports whether the failure's cause is worth another attempt later (busy, no
// answer, congestion, ...). See Cause.Retryable.
func (e *OriginateError) Retryable() bool { return e.Cause != "" && e.Cause.Retryable() }

// Retryable reports whether err is worth retrying later: a retryable originate failure, or a
// lost connection / timeout (FreeSWITCH may be restarting). Everything else is final.
//
// An ErrOutcomeUnknown error is never retryable: the call may be up; check it first.
func Retryable(err error) bool {
	if errors.Is(err, ErrOutcomeUnknown) {
		return false
	}
	var oe *OriginateError
	if errors.As(err, &oe) {
		return oe.Retryable()
	}
	return errors.Is(err, ErrClosed) || errors.Is(err, ErrTimeout) || errors.Is(err, ErrNotConnected)
}

// ErrApp is wrapped by *AppError.
var ErrApp = errors.New("esl: application failed")

// AppError is a dialplan application that completed with a failure response (playback's
// "FILE NOT FOUND", "PLAYBACK ERROR", ...).
type AppError struct {
	App, Arg string
	Response string
}

func (e *AppError) Error() string {
	return fmt.Sprintf("esl: %s %s: %s", e.App, clip(e.Arg), e.Response)
}

// Is makes errors.Is(err, ErrApp) true.
func (e *AppError) Is(target error) bool { return target == ErrApp }
