// Package recordings follows each call recording from the finished file to quality assurance
// (QA): file checks, durable forwarding to QA destinations, transcription, scoring and
// retention.
//
// The pieces, in the order a recording meets them:
//
//   - Watcher (record_watch.go) follows RECORD_START / RECORD_STOP / CHANNEL_HANGUP_COMPLETE
//     on an esl subscription and submits each finished recording, with the call's metadata
//     from channel variables (ivrd_agent, ivrd_queue, ivrd_flow_path, ivrd_language).
//   - CheckWAV (wav_check.go) validates the file FreeSWITCH left behind: RIFF/WAVE header,
//     16-bit PCM, a duration that matches the call. A missing or header-only file is a
//     *CheckError with a Reason, recorded as a QA failure, never skipped.
//   - Store (store_*.go, migrations/) keeps recordings' metadata, per-destination delivery
//     status, transcripts with word timings, scores and the retention log in PostgreSQL.
//   - Pipeline (pipeline_*.go) is a set of River workers: one durable job per recording per
//     destination (an HTTP endpoint, an OpenAI-compatible /v1/audio/transcriptions endpoint,
//     or the built-in offline transcriber), retried with backoff, idempotent (the destination
//     gets the recording id and SHA-256 as its Idempotency-Key), and a webhook on final
//     success or failure.
//   - Sphinx (transcribe_sphinx.go) is the offline English transcriber: pocketsphinx through
//     cgo, decoders loaded once and reused, whole-utterance decoding, 8 kHz telephone audio
//     zero-stuffed to 16 kHz, bounded concurrency on low-priority threads so QA never starves
//     live calls. OpenAI (transcribe_openai.go) is the client for whisper-style servers and the
//     only route for languages without an offline model (Mandarin).
//   - Rules and Score (qa_rules.go, qa_score.go) score a transcript against per-queue QA rules
//     written in YAML: phrases that must and must not be said (matched tolerantly against the
//     whole transcript), silence, talk-over and duration limits, each rule weighted and each
//     result carrying its evidence.
//   - Retention (retention.go) deletes old recordings and transcripts and records each deletion.
//   - NewHandler (api_http.go) serves stored scores over HTTP: GET /api/qa/{call}.
//
// Wiring it into a daemon: store.Migrate with Migrations; NewSphinx (unless offline is
// disabled); NewPipeline; AddWorkers on the River client's Workers, QueueConfig for Queue,
// RetryPolicy as the client's retry policy, RetentionJob among its periodic jobs; a Watcher
// on an esl subscription to WatchEvents; NewHandler on the HTTP mux.
package recordings

import "time"

// Config is the recordings: section of ivrd.yaml.
type Config struct {
	// Dir is where FreeSWITCH writes recordings (record_session paths are relative to it).
	Dir string `yaml:"dir"`
	// Name is the template of each recording's path below Dir (see package recname), e.g.
	// "{{date}}/{{caller.number}}-{{call.id}}-{{n}}.wav" (default recname.Default).
	Name string `yaml:"name"`
	// Rules is the QA rules file (see Rules); empty disables scoring.
	Rules string `yaml:"rules"`
	// Tolerance is how far a file's duration may differ from the call's (default 2s).
	Tolerance time.Duration `yaml:"tolerance"`
	// Retention is how long recordings and transcripts are kept; 0 keeps them forever.
	Retention time.Duration `yaml:"retention"`
	// Language is the language of recordings whose call does not say (default "en").
	Language string `yaml:"language"`
	// Offline configures the built-in pocketsphinx transcriber.
	Offline OfflineConfig `yaml:"offline"`
	// Destinations are where each recording goes; a recording gets one job per destination.
	// Without a transcription destination (type openai), the offline transcriber is used.
	Destinations []Destination `yaml:"destinations"`
	// Webhook is told when a recording's delivery to a destination finally succeeds or fails.
	Webhook Endpoint `yaml:"webhook"`
	// MaxAttempts is how often a delivery is tried before it is marked failed (default 10).
	MaxAttempts int `yaml:"max_attempts"`
	// RetryBase is the first retry delay; each later one doubles, up to 1h (default 10s).
	RetryBase time.Duration `yaml:"retry_base"`
}

// OfflineConfig configures the pocketsphinx transcriber.
type OfflineConfig struct {
	// Disabled turns the offline transcriber off (recordings then need an openai destination).
	Disabled bool `yaml:"disabled"`
	// HMM, LM and Dict are the acoustic model folder, language model and pronunciation
	// dictionary; the defaults are Debian's pocketsphinx-en-us paths.
	HMM  string `yaml:"hmm"`
	LM   string `yaml:"lm"`
	Dict string `yaml:"dict"`
	// Workers is how many decoders run at once (default: number of cores - 1, at least 1).
	Workers int `yaml:"workers"`
}

// Destination is one place recordings are sent to.
type Destination struct {
	// Name identifies the destination in delivery status and webhooks; unique.
	Name string `yaml:"name"`
	// Type is "http" (multipart audio + JSON metadata), "openai" (an OpenAI-compatible
	// /v1/audio/transcriptions endpoint: transcribes, then the call is scored) or "offline".
	Type     string `yaml:"type"`
	Endpoint `yaml:",inline"`
	// Model is the transcription model for type openai (default "whisper-1").
	Model string `yaml:"model"`
}

// Endpoint is an HTTP endpoint with an optional bearer token, taken from the environment or a
// file so it never sits in the config.
type Endpoint struct {
	URL       string `yaml:"url"`
	TokenEnv  string `yaml:"token_env"`
	TokenFile string `yaml:"token_file"`
	// Timeout bounds each request (default 60s).
	Timeout time.Duration `yaml:"timeout"`
}
