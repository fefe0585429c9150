// Package sipcall is a SIP test caller: it dials a SIP URI (a real FreeSWITCH, a carrier, a
// test phone), sends a script of RFC 4733 DTMF digits and pauses, records what it hears to a
// WAV file, and reports how the call ended as a hangup cause (USER_BUSY, NORMAL_CLEARING...),
// the way FreeSWITCH names them. `ivrd call --sip URI --digits "1,wait 3s,2,5#"` is its
// command line.
//
// It is built on github.com/emiago/diago (sipgo for SIP, pion/rtp for media), offers PCMU and
// PCMA, and streams silence between digits so that every DTMF event gets its own RTP
// timestamp, as RFC 4733 receivers such as FreeSWITCH expect.
package sipcall
