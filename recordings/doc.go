// Package recordings follows each call recording from the finished file to quality assurance:
// file checks, durable forwarding to QA destinations, transcription, scoring and retention.
package recordings

// Config is the recordings: section of ivrd.yaml.
type Config struct{}
