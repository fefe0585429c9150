package recordings

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ScoreFile checks, transcribes and scores one recording of queue spoken in lang.
func ScoreFile(ctx context.Context, tr Transcriber, rules *Rules, queue, lang, path string) (*Result, *Transcript, error) {
	rs, err := rules.For(queue)
	if err != nil {
		return nil, nil, err
	}
	a, _, err := ReadAudio(path)
	if err != nil {
		return nil, nil, err
	}
	t, err := tr.Transcribe(ctx, path, lang)
	if err != nil {
		return nil, nil, err
	}
	return Score(rs, queue, t, AnalyseActivity(a)), t, nil
}

// BatchItem is one file's outcome in a batch.
type BatchItem struct {
	Path       string
	Result     *Result // nil when Err is set
	Transcript *Transcript
	Err        error
	Audio      time.Duration // length of the recording
	Took       time.Duration // wall time to transcribe and score it
}

// Failed says whether the file failed QA or could not be scored.
func (b BatchItem) Failed() bool { return b.Err != nil || !b.Result.Passed }

// Batch scores many recordings with bounded concurrency.
type Batch struct {
	Transcriber Transcriber
	Rules       *Rules
	Queue, Lang string
	// Workers is how many files are in flight at once (default 1). With the offline
	// transcriber, more than its decoders only queues files in memory.
	Workers int
	// Progress, if set, is called after each file (from one goroutine at a time).
	Progress func(done, total int)
}

// Run scores paths and returns their outcomes in the order given. It stops starting new files
// when ctx ends; those files get ctx's error.
func (b *Batch) Run(ctx context.Context, paths []string) []BatchItem {
	out := make([]BatchItem, len(paths))
	workers := max(b.Workers, 1)
	next := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				start := time.Now()
				it := BatchItem{Path: paths[i]}
				it.Result, it.Transcript, it.Err = ScoreFile(ctx, b.Transcriber, b.Rules, b.Queue, b.Lang, paths[i])
				it.Took = time.Since(start)
				if info, err := CheckWAV(paths[i], 0); err == nil {
					it.Audio = info.Duration
				}
				out[i] = it
				mu.Lock()
				done++
				if b.Progress != nil {
					b.Progress(done, len(paths))
				}
				mu.Unlock()
			}
		}()
	}
	for i := range paths {
		if ctx.Err() != nil {
			out[i] = BatchItem{Path: paths[i], Err: fmt.Errorf("not scored: %w", ctx.Err())}
			continue
		}
		select {
		case next <- i:
		case <-ctx.Done():
			out[i] = BatchItem{Path: paths[i], Err: fmt.Errorf("not scored: %w", ctx.Err())}
		}
	}
	close(next)
	wg.Wait()
	return out
}

// errorReason is a short reason for a file that could not be scored.
func errorReason(err error) string {
	var ce *CheckError
	if errors.As(err, &ce) {
		return fmt.Sprintf("recording %s: %s", ce.Reason, ce.Detail)
	}
	return err.Error()
}
