package recordings

/*
#cgo pkg-config: pocketsphinx sphinxbase
#include <stdlib.h>
#include <pocketsphinx.h>
#include <sphinxbase/err.h>

// ivrd_ps_new loads a decoder; cmd_ln_init is variadic, which cgo cannot call. Batch cepstral
// mean normalisation (over each whole utterance) instead of the live one, and no noise removal:
// both keep running estimates from one utterance to the next, so a decoder transcribed the same
// recording differently depending on what it had heard before (its first recording especially).
// Scores must not depend on the order recordings arrive in.
static ps_decoder_t *ivrd_ps_new(const char *hmm, const char *lm, const char *dict) {
	err_set_logfp(NULL);
	cmd_ln_t *cfg = cmd_ln_init(NULL, ps_args(), TRUE,
		"-hmm", hmm, "-lm", lm, "-dict", dict, "-samprate", "16000", "-cmn", "batch", "-remove_noise", "no", "-remove_silence", "no", NULL);
	if (cfg == NULL) return NULL;
	ps_decoder_t *ps = ps_init(cfg);
	cmd_ln_free_r(cfg);
	return ps;
}

// ivrd_ps_decode decodes one whole utterance; returns <0 on error.
static int ivrd_ps_decode(ps_decoder_t *ps, const int16 *data, size_t n) {
	if (ps_start_utt(ps) < 0) return -1;
	if (ps_process_raw(ps, data, n, FALSE, TRUE) < 0) { ps_end_utt(ps); return -2; }
	if (ps_end_utt(ps) < 0) return -3;
	return 0;
}
*/
import "C"

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// Debian's pocketsphinx-en-us model files.
const (
	DefaultHMM  = "/usr/share/pocketsphinx/model/en-us/en-us"
	DefaultLM   = "/usr/share/pocketsphinx/model/en-us/en-us.lm.bin"
	DefaultDict = "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict"
)

// sphinxFrameRate is pocketsphinx's default feature frame rate (-frate 100).
const sphinxFrameRate = 100

// sphinxNice is the niceness of decoder threads: QA yields the CPU to live calls.
const sphinxNice = 10

// Sphinx is the offline English transcriber: pocketsphinx through its C API. It keeps a fixed
// set of decoders loaded (loading one takes about half a second) and runs each on its own
// low-priority OS thread; Transcribe waits for a free decoder, so at most Workers recordings
// are decoded at once however many jobs ask.
type Sphinx struct {
	cfg  OfflineConfig
	reqs chan sphinxReq
	stop chan struct{}
	wg   sync.WaitGroup
	log  *slog.Logger
}

type sphinxReq struct {
	samples []int16 // 16 kHz mono
	reply   chan sphinxResult
}

type sphinxResult struct {
	words []Word
	err   error
}

// NewSphinx loads cfg.Workers decoders (default cores-1, at least 1) and starts their threads.
// Close releases them.
func NewSphinx(cfg OfflineConfig, log *slog.Logger) (*Sphinx, error) {
	if cfg.HMM == "" {
		cfg.HMM = DefaultHMM
	}
	if cfg.LM == "" {
		cfg.LM = DefaultLM
	}
	if cfg.Dict == "" {
		cfg.Dict = DefaultDict
	}
	if cfg.Workers <= 0 {
		cfg.Workers = max(1, runtime.NumCPU()-1)
	}
	if log == nil {
		log = slog.Default()
	}
	s := &Sphinx{cfg: cfg, reqs: make(chan sphinxReq), stop: make(chan struct{}), log: log}
	ready := make(chan error)
	for i := 0; i < cfg.Workers; i++ {
		s.wg.Add(1)
		go s.worker(i, ready)
		if err := <-ready; err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

// Workers is how many recordings can be decoded at once.
func (s *Sphinx) Workers() int { return s.cfg.Workers }

// Close stops the decoder threads and frees the decoders; decodes in progress finish first.
func (s *Sphinx) Close() {
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	s.wg.Wait()
}

// worker owns one decoder on one locked, niced OS thread.
func (s *Sphinx) worker(id int, ready chan<- error) {
	defer s.wg.Done()
	runtime.LockOSThread() // never unlocked: the niced thread dies with the goroutine.
	if err := syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), sphinxNice); err != nil {
		s.log.Warn("recordings: cannot lower decoder thread priority", "err", err)
	}
	hmm, lm, dict := C.CString(s.cfg.HMM), C.CString(s.cfg.LM), C.CString(s.cfg.Dict)
	ps := C.ivrd_ps_new(hmm, lm, dict)
	C.free(unsafe.Pointer(hmm))
	C.free(unsafe.Pointer(lm))
	C.free(unsafe.Pointer(dict))
	if ps == nil {
		ready <- fmt.Errorf("load pocketsphinx model (hmm %s, lm %s, dict %s): failed; install pocketsphinx-en-us or fix recordings.offline paths",
			s.cfg.HMM, s.cfg.LM, s.cfg.Dict)
		return
	}
	defer C.ps_free(ps)
	ready <- nil
	for {
		select {
		case <-s.stop:
			return
		case r := <-s.reqs:
			words, err := sphinxDecode(ps, r.samples)
			r.reply <- sphinxResult{words, err}
		}
	}
}

func sphinxDecode(ps *C.ps_decoder_t, samples []int16) ([]Word, error) {
	if len(samples) == 0 {
		return nil, nil
	}
	buf := (*C.int16)(C.malloc(C.size_t(len(samples)) * 2))
	defer C.free(unsafe.Pointer(buf))
	copy(unsafe.Slice((*int16)(unsafe.Pointer(buf)), len(samples)), samples)
	if rc := C.ivrd_ps_decode(ps, buf, C.size_t(len(samples))); rc < 0 {
		return nil, fmt.Errorf("pocketsphinx: decode failed (step %d)", -rc)
	}
	var words []Word
	for seg := C.ps_seg_iter(ps); seg != nil; seg = C.ps_seg_next(seg) {
		w := C.GoString(C.ps_seg_word(seg))
		var sf, ef C.int
		C.ps_seg_frames(seg, &sf, &ef)
		w, ok := sphinxWord(w)
		if !ok {
			continue
		}
		words = append(words, Word{
			Text:  w,
			Start: time.Duration(sf) * time.Second / sphinxFrameRate,
			End:   time.Duration(ef+1) * time.Second / sphinxFrameRate,
		})
	}
	return words, nil
}

// sphinxWord drops fillers (<s>, </s>, <sil>, [NOISE]) and alternate-pronunciation marks
// ("read(2)" is "read").
func sphinxWord(w string) (string, bool) {
	if w == "" || strings.HasPrefix(w, "<") || strings.HasPrefix(w, "[") || strings.HasPrefix(w, "++") {
		return "", false
	}
	if i := strings.IndexByte(w, '('); i > 0 {
		w = w[:i]
	}
	return w, true
}

// Transcribe decodes the WAV at path. Only English is supported: other languages fail with
// ErrLanguageUnsupported. Stereo recordings are decoded channel by channel and the words
// merged in time order, each tagged with its channel.
func (s *Sphinx) Transcribe(ctx context.Context, path, lang string) (*Transcript, error) {
	if l := normLang(lang); l != "" && l != "en" {
		return nil, unsupportedLang(lang)
	}
	a, _, err := ReadAudio(path)
	if err != nil {
		return nil, err
	}
	return s.TranscribeAudio(ctx, a)
}

// TranscribeAudio decodes audio already in memory.
func (s *Sphinx) TranscribeAudio(ctx context.Context, a *Audio) (*Transcript, error) {
	t := &Transcript{Language: "en", Backend: "pocketsphinx"}
	for ch, samples := range a.Channels {
		pcm, err := to16k(samples, a.Rate)
		if err != nil {
			return nil, err
		}
		words, err := s.decode(ctx, pcm)
		if err != nil {
			return nil, err
		}
		for i := range words {
			words[i].Channel = ch
		}
		t.Words = append(t.Words, words...)
	}
	mergeWords(t)
	return t, nil
}

// decode waits for a free decoder (or ctx) and decodes one channel. Once a decoder has the
// audio, the decode runs to its end (pocketsphinx cannot be interrupted) and its result is
// dropped if ctx ended meanwhile.
func (s *Sphinx) decode(ctx context.Context, pcm []int16) ([]Word, error) {
	r := sphinxReq{samples: pcm, reply: make(chan sphinxResult, 1)}
	select {
	case s.reqs <- r:
	case <-s.stop:
		return nil, fmt.Errorf("pocketsphinx: transcriber closed")
	case <-ctx.Done():
		return nil, fmt.Errorf("pocketsphinx: waiting for a free decoder: %w", ctx.Err())
	}
	select {
	case res := <-r.reply:
		return res.words, res.err
	case <-ctx.Done():
		return nil, fmt.Errorf("pocketsphinx: decoding: %w", ctx.Err())
	}
}
