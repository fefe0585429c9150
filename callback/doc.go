// Package callback turns callback requests (from a text, a flow step, the queue's press-2 key
// or the HTTP API) into phone calls: validation, dedupe, scheduling, pacing, originate and
// retries, durable through River jobs in PostgreSQL.
package callback

// Config is the callbacks: section of ivrd.yaml.
type Config struct{}
