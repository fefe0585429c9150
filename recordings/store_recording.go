package recordings

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ivrd/ivrd/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the recordings schema, for store.Migrate.
var Migrations = store.MigrationSet{Name: "recordings", FS: store.MustSub(migrationFiles, "migrations")}

// Call is what the runtime knows about a recorded call when the recording stops.
type Call struct {
	CallID   string `json:"call_id"`
	Caller   string `json:"caller"`
	Agent    string `json:"agent"`
	Queue    string `json:"queue"`
	FlowPath string `json:"flow_path"`
	// Language of the call, ISO 639-1 ("en", "zh"); "" means the configured default.
	Language string        `json:"language"`
	Start    time.Time     `json:"start"`
	Duration time.Duration `json:"duration"`
	// Path is the recording file as FreeSWITCH wrote it.
	Path string `json:"path"`
}

// Recording is a stored recording: the call, the file's facts and its check.
type Recording struct {
	ID int64 `json:"id"`
	Call
	Size          int64         `json:"size"`
	SHA256        string        `json:"sha256"`
	SampleRate    int           `json:"sample_rate"`
	Channels      int           `json:"channels"`
	AudioDuration time.Duration `json:"audio_duration"`
	// CheckStatus is "ok" or the Reason the file failed its check, explained by CheckDetail.
	CheckStatus string     `json:"check_status"`
	CheckDetail string     `json:"check_detail,omitempty"`
	DeletedAt   *time.Time `json:"deleted_at,omitempty"`
}

// Delivery is a recording's state at one destination.
type Delivery struct {
	Destination string     `json:"destination"`
	Status      string     `json:"status"` // pending, sent, failed
	Attempts    int        `json:"attempts"`
	Reason      string     `json:"reason,omitempty"`
	SentAt      *time.Time `json:"sent_at,omitempty"`
}

// Delivery statuses.
const (
	DeliveryPending = "pending"
	DeliverySent    = "sent"
	DeliveryFailed  = "failed"
)

// ErrNotFound is returned when no recording matches.
var ErrNotFound = errors.New("recording not found")

// Store reads and writes the recordings tables.
type Store struct {
	pool *pgxpool.Pool
}

// NewStore returns a Store on pool, whose database has Migrations applied.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// execer is a pool or a transaction.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

const recordingColumns = `id, call_id, caller, agent, queue, flow_path, language, started_at, call_duration_ms,
	audio_duration_ms, file_path, size_bytes, sha256, sample_rate, channels, check_status, check_detail, deleted_at`

func scanRecording(row pgx.Row) (*Recording, error) {
	var r Recording
	var callMS, audioMS int64
	err := row.Scan(&r.ID, &r.CallID, &r.Caller, &r.Agent, &r.Queue, &r.FlowPath, &r.Language, &r.Start, &callMS,
		&audioMS, &r.Path, &r.Size, &r.SHA256, &r.SampleRate, &r.Channels, &r.CheckStatus, &r.CheckDetail, &r.DeletedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	r.Duration = time.Duration(callMS) * time.Millisecond
	r.AudioDuration = time.Duration(audioMS) * time.Millisecond
	return &r, nil
}

// insertRecording stores r (ID ignored) unless its call is already stored; it returns the
// stored row and whether it was new.
func insertRecording(ctx context.Context, tx pgx.Tx, r *Recording) (*Recording, bool, error) {
	row := tx.QueryRow(ctx, `insert into recording (call_id, caller, agent, queue, flow_path, language, started_at,
		call_duration_ms, audio_duration_ms, file_path, size_bytes, sha256, sample_rate, channels, check_status, check_detail)
		values ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16)
		on conflict (call_id, file_path) do nothing
		returning `+recordingColumns,
		r.CallID, r.Caller, r.Agent, r.Queue, r.FlowPath, r.Language, r.Start, r.Duration.Milliseconds(),
		r.AudioDuration.Milliseconds(), r.Path, r.Size, r.SHA256, r.SampleRate, r.Channels, r.CheckStatus, r.CheckDetail)
	stored, err := scanRecording(row)
	if err == nil {
		return stored, true, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return nil, false, fmt.Errorf("store recording of call %s: %w", r.CallID, err)
	}
	stored, err = scanRecording(tx.QueryRow(ctx, `select `+recordingColumns+` from recording where call_id = $1 and file_path = $2`, r.CallID, r.Path))
	if err != nil {
		return nil, false, fmt.Errorf("load recording of call %s: %w", r.CallID, err)
	}
	return stored, false, nil
}

// Recording loads a recording by id.
func (s *Store) Recording(ctx context.Context, id int64) (*Recording, error) {
	r, err := scanRecording(s.pool.QueryRow(ctx, `select `+recordingColumns+` from recording where id = $1`, id))
	if err != nil {
		return nil, fmt.Errorf("load recording %d: %w", id, err)
	}
	return r, nil
}

// RecordingByCall loads the recording of a call (its latest, if it was recorded to several
// files).
func (s *Store) RecordingByCall(ctx context.Context, callID string) (*Recording, error) {
	r, err := scanRecording(s.pool.QueryRow(ctx, `select `+recordingColumns+` from recording where call_id = $1
		order by id desc limit 1`, callID))
	if err != nil {
		return nil, fmt.Errorf("load recording of call %q: %w", callID, err)
	}
	return r, nil
}

// Deliveries lists a recording's state at each destination, by destination name.
func (s *Store) Deliveries(ctx context.Context, id int64) ([]Delivery, error) {
	rows, err := s.pool.Query(ctx, `select destination, status, attempts, reason, sent_at from recording_delivery
		where recording_id = $1 order by destination`, id)
	if err != nil {
		return nil, fmt.Errorf("load deliveries of recording %d: %w", id, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Delivery, error) {
		var d Delivery
		return d, row.Scan(&d.Destination, &d.Status, &d.Attempts, &d.Reason, &d.SentAt)
	})
	if err != nil {
		return nil, fmt.Errorf("load deliveries of recording %d: %w", id, err)
	}
	return out, nil
}

// Transcript loads a recording's transcript.
func (s *Store) Transcript(ctx context.Context, id int64) (*Transcript, error) {
	var t Transcript
	var words []byte
	err := s.pool.QueryRow(ctx, `select backend, language, text, words from recording_transcript where recording_id = $1`, id).
		Scan(&t.Backend, &t.Language, &t.Text, &words)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("transcript of recording %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load transcript of recording %d: %w", id, err)
	}
	if err := json.Unmarshal(words, &t.Words); err != nil {
		return nil, fmt.Errorf("transcript of recording %d: words: %w", id, err)
	}
	return &t, nil
}

// SaveTranscript stores (or replaces) a recording's transcript.
func (s *Store) SaveTranscript(ctx context.Context, id int64, t *Transcript) error {
	words, err := json.Marshal(t.Words)
	if err != nil {
		return fmt.Errorf("save transcript: %w", err)
	}
	if t.Words == nil {
		words = []byte("[]")
	}
	_, err = s.pool.Exec(ctx, `insert into recording_transcript (recording_id, backend, language, text, words)
		values ($1, $2, $3, $4, $5)
		on conflict (recording_id) do update set backend = $2, language = $3, text = $4, words = $5, created_at = now()`,
		id, t.Backend, t.Language, t.Text, words)
	if err != nil {
		return fmt.Errorf("save transcript of recording %d: %w", id, err)
	}
	return nil
}

// StoredScore is a call's stored QA result.
type StoredScore struct {
	Recording *Recording `json:"recording"`
	Result    *Result    `json:"result"`
	ScoredAt  time.Time  `json:"scored_at"`
}

// saveScore stores (or replaces) a recording's QA result.
func saveScore(ctx context.Context, q execer, id int64, res *Result) error {
	b, err := json.Marshal(res)
	if err != nil {
		return fmt.Errorf("save score: %w", err)
	}
	_, err = q.Exec(ctx, `insert into recording_score (recording_id, queue, score, passed, reason, result)
		values ($1, $2, $3, $4, $5, $6)
		on conflict (recording_id) do update set queue = $2, score = $3, passed = $4, reason = $5, result = $6, scored_at = now()`,
		id, res.Queue, res.Score, res.Passed, res.Reason, b)
	if err != nil {
		return fmt.Errorf("save score of recording %d: %w", id, err)
	}
	return nil
}

// SaveScore stores (or replaces) a recording's QA result.
func (s *Store) SaveScore(ctx context.Context, id int64, res *Result) error {
	return saveScore(ctx, s.pool, id, res)
}

// ScoreByCall loads the stored QA result of a call.
func (s *Store) ScoreByCall(ctx context.Context, callID string) (*StoredScore, error) {
	rec, err := s.RecordingByCall(ctx, callID)
	if err != nil {
		return nil, err
	}
	var b []byte
	st := &StoredScore{Recording: rec}
	err = s.pool.QueryRow(ctx, `select result, scored_at from recording_score where recording_id = $1`, rec.ID).Scan(&b, &st.ScoredAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("call %q has a recording but no score yet (its QA jobs may still be running): %w", callID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load score of call %q: %w", callID, err)
	}
	st.Result = new(Result)
	if err := json.Unmarshal(b, st.Result); err != nil {
		return nil, fmt.Errorf("score of call %q: %w", callID, err)
	}
	return st, nil
}
