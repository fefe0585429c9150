package recordings

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/riverqueue/river"
)

// Deletion is one entry of the retention log.
type Deletion struct {
	RecordingID int64     `json:"recording_id"`
	CallID      string    `json:"call_id"`
	FilePath    string    `json:"file_path"`
	Reason      string    `json:"reason"`
	DeletedAt   time.Time `json:"deleted_at"`
}

// DeleteOlderThan deletes the audio files and transcripts of recordings of calls started
// before cutoff, blanks the transcript text quoted as evidence in their scores (scores and
// times stay), marks the recordings deleted and writes one retention log entry for each. A
// file already gone is not an error. It returns the deletions made.
func (s *Store) DeleteOlderThan(ctx context.Context, cutoff time.Time, reason string) ([]Deletion, error) {
	rows, err := s.pool.Query(ctx, `select id from recording where started_at < $1 and deleted_at is null order by id`, cutoff)
	if err != nil {
		return nil, fmt.Errorf("retention: find old recordings: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("retention: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("retention: find old recordings: %w", err)
	}
	var out []Deletion
	for _, id := range ids {
		d, err := s.deleteRecording(ctx, id, reason)
		if err != nil {
			return out, err
		}
		out = append(out, d)
	}
	return out, nil
}

func (s *Store) deleteRecording(ctx context.Context, id int64, reason string) (Deletion, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return Deletion{}, fmt.Errorf("retention: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	rec, err := scanRecording(tx.QueryRow(ctx, `select `+recordingColumns+` from recording where id = $1 and deleted_at is null for update`, id))
	if errors.Is(err, ErrNotFound) {
		return Deletion{}, nil // deleted meanwhile by another instance
	}
	if err != nil {
		return Deletion{}, fmt.Errorf("retention: load recording %d: %w", id, err)
	}
	if _, err := tx.Exec(ctx, `delete from recording_transcript where recording_id = $1`, id); err != nil {
		return Deletion{}, fmt.Errorf("retention: delete transcript of recording %d: %w", id, err)
	}
	var raw []byte
	err = tx.QueryRow(ctx, `select result from recording_score where recording_id = $1`, id).Scan(&raw)
	if err == nil {
		var res Result
		if err := json.Unmarshal(raw, &res); err != nil {
			return Deletion{}, fmt.Errorf("retention: score of recording %d: %w", id, err)
		}
		for i := range res.Rules {
			for j := range res.Rules[i].Evidence {
				res.Rules[i].Evidence[j].Text = "(deleted by retention)"
			}
		}
		if err := saveScore(ctx, tx, id, &res); err != nil {
			return Deletion{}, err
		}
	}
	d := Deletion{RecordingID: id, CallID: rec.CallID, FilePath: rec.Path, Reason: reason}
	if err := tx.QueryRow(ctx, `insert into recording_deletion (recording_id, call_id, file_path, reason) values ($1, $2, $3, $4)
		returning deleted_at`, id, rec.CallID, rec.Path, reason).Scan(&d.DeletedAt); err != nil {
		return Deletion{}, fmt.Errorf("retention: log deletion of recording %d: %w", id, err)
	}
	if _, err := tx.Exec(ctx, `update recording set deleted_at = $2 where id = $1`, id, d.DeletedAt); err != nil {
		return Deletion{}, fmt.Errorf("retention: mark recording %d deleted: %w", id, err)
	}
	// The file goes last but before commit: if removing fails, nothing is marked deleted and the
	// next run tries again; if commit then fails, the next run finds the file gone and logs it.
	if err := os.Remove(rec.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return Deletion{}, fmt.Errorf("retention: delete %s: %w", rec.Path, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return Deletion{}, fmt.Errorf("retention: %w", err)
	}
	return d, nil
}

// Deletions lists the retention log, newest first, at most limit entries.
func (s *Store) Deletions(ctx context.Context, limit int) ([]Deletion, error) {
	rows, err := s.pool.Query(ctx, `select recording_id, call_id, file_path, reason, deleted_at from recording_deletion
		order by id desc limit $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("retention log: %w", err)
	}
	var out []Deletion
	for rows.Next() {
		var d Deletion
		if err := rows.Scan(&d.RecordingID, &d.CallID, &d.FilePath, &d.Reason, &d.DeletedAt); err != nil {
			rows.Close()
			return nil, fmt.Errorf("retention log: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// RetentionArgs is the periodic job that applies the retention period.
type RetentionArgs struct{}

// Kind implements river.JobArgs.
func (RetentionArgs) Kind() string { return "recording_retention" }

// RetentionJob is the periodic job (hourly) to add to the River client's PeriodicJobs; nil
// when cfg keeps recordings forever.
func RetentionJob(cfg Config) *river.PeriodicJob {
	if cfg.Retention <= 0 {
		return nil
	}
	return river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
		func() (river.JobArgs, *river.InsertOpts) {
			return RetentionArgs{}, &river.InsertOpts{Queue: Queue, UniqueOpts: river.UniqueOpts{ByArgs: true}}
		}, &river.PeriodicJobOpts{RunOnStart: true})
}

type retentionWorker struct {
	river.WorkerDefaults[RetentionArgs]
	p *Pipeline
}

func (w *retentionWorker) Work(ctx context.Context, _ *river.Job[RetentionArgs]) error {
	_, err := w.p.ApplyRetention(ctx)
	return err
}

// ApplyRetention deletes what is older than the configured retention period (nothing when
// it is 0).
func (p *Pipeline) ApplyRetention(ctx context.Context) ([]Deletion, error) {
	if p.cfg.Retention <= 0 {
		return nil, nil
	}
	cutoff := p.now().Add(-p.cfg.Retention)
	ds, err := p.store.DeleteOlderThan(ctx, cutoff, "retention "+p.cfg.Retention.String())
	for _, d := range ds {
		p.log.Info("recordings: deleted by retention", "call", d.CallID, "recording", d.RecordingID, "file", d.FilePath)
	}
	return ds, err
}
