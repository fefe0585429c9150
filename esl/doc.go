// Package esl controls FreeSWITCH over its Event Socket (ESL).
//
// Two halves:
//
//   - The outbound server (Listen, Server, Call): FreeSWITCH's dialplan runs
//     `socket <ivrd>:8084 async full`, connects once per call, and each connection becomes a
//     *Call handed to a Handler. Call has typed, deadline-bound methods for what an IVR does:
//     Answer, Playback, PlayAndGetDigits, Speak, RecordSession/StopRecordSession, Bridge,
//     Transfer, Set/Export/Unset, Sleep, Hangup, WaitDTMF, plus Execute for anything else.
//   - The inbound client (Dial, Client, Pool): a connection to FreeSWITCH's port 8021 for
//     api, bgapi, Originate, event subscriptions and a live view of channels, that reconnects
//     on its own; Pool holds one per node.
//
// # Wire rules (what makes eslgo's known defects impossible)
//
// The package wraps github.com/percipia/eslgo v1.5.1 but uses only its message vocabulary
// (content-type names). It owns the connection loop itself, because eslgo's loop is where its
// defects live and its parsing is bound to that loop (readResponse is unexported), and because
// its helpers rewrite what we send (MIME-canonical header names such as "Event-Uuid", map-order
// headers, `linger` with a time.Duration printed in nanoseconds). Instead:
//
//   - One reader goroutine per connection reads every message and never blocks on anyone:
//     replies go to the waiting command, events are handed to per-consumer unbounded queues
//     (Subscription), so a slow consumer costs memory, never the socket (FreeSWITCH drops
//     listeners that read slowly).
//   - One writer at a time; each command's reply slot is queued in the order its bytes were
//     written, and replies are matched strictly in that order.
//   - Every command has a deadline (its ctx, or CommandTimeout). A command whose deadline
//     passes closes the connection, so its late reply can never be read as the reply to the
//     next command; the Client then redials (capped exponential backoff with jitter),
//     subscribes again and rebuilds its channel view (`show channels as json`). A command
//     whose ctx is cancelled (not expired) returns at once but keeps its reply slot, which
//     swallows the reply when it comes; if it does not come within CommandTimeout the
//     connection is closed too. (So a call's socket survives a cancelled Playback.)
//   - Read errors other than EOF are returned (Err, HangupError.Err), not swallowed; a peer
//     that closes mid-command fails that command at once with ErrClosed.
//   - Dial's timeout covers the TCP connect, the wait for `auth/request` and the auth reply.
//   - bgapi carries our own Job-UUID and waits for that BACKGROUND_JOB.
//   - Each sendmsg execute carries `event-lock: true` and our own Event-UUID; completion is
//     the CHANNEL_EXECUTE_COMPLETE whose Application-UUID echoes it (myevents carries no
//     PLAYBACK_STOP). One call's events are handled in socket order, which is Event-Sequence
//     order. (The hangup sendmsg is not event-locked, as in FreeSWITCH's own examples: a lock
//     would queue it behind the prompt it must cut short.)
//   - Variables FreeSWITCH leaves set (read_terminator_used, originate_disposition, the
//     collect variable) are cleared before the application that reports through them, so a
//     failure never reports the previous run's values; set/unset sendmsgs are pipelined in
//     front of the application, costing no extra round trip.
//   - The outbound listener has a lifecycle: Server.Shutdown stops accepting, cancels the
//     handlers' context, waits for calls, then hangs up what is left.
//
// # FreeSWITCH facts this package relies on (see ../shared/freeswitch traces)
//
// The reply to `connect` carries the channel data as headers with no Content-Length. myevents
// does not carry RECORD_START/STOP (ServerOptions.RecordEvents subscribes them on the same
// socket). play_and_get_digits reports variable_<var>, read_result and read_terminator_used.
// playback reports FILE PLAYED even when a terminator stopped it; playback_terminator_used
// tells. Bridge results come from originate_disposition (originate_failed_cause goes stale).
// originate ignores call_timeout: Originate sends originate_timeout.
//
// Passwords come from Node.Password, PasswordEnv or PasswordFile and are never logged or put in
// errors.
package esl
