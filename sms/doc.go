// Package sms sends and receives text messages through gateways (Kannel, a Twilio-compatible
// REST API, a console outbox for the demo), answers keywords, honours STOP, and sends
// post-call follow-up texts.
package sms

// Config is the sms: section of ivrd.yaml.
type Config struct{}
