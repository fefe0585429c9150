package recordings

import (
	"context"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// callCentre are sentences of the kind QA listens for.
var callCentre = []string{
	"thank you for calling first national bank my name is sarah how can i help you today",
	"can you please confirm your date of birth and the first line of your address",
	"i would like to report a lost credit card",
	"your new card will arrive within five working days",
	"is there anything else i can help you with today",
	"i am sorry to hear that let me check your account",
	"the payment was made on the third of march",
	"please hold the line while i transfer you to a colleague",
	"thank you for your call have a nice day",
	"i need to change the phone number on my account",
}

// wordsRight counts the reference words found, in order, in the hypothesis.
func wordsRight(ref, hyp string) int {
	r, h := strings.Fields(ref), tokenize(hyp)
	// Longest common subsequence of words.
	dp := make([][]int, len(r)+1)
	for i := range dp {
		dp[i] = make([]int, len(h)+1)
	}
	for i := 1; i <= len(r); i++ {
		for j := 1; j <= len(h); j++ {
			switch {
			case r[i-1] == h[j-1]:
				dp[i][j] = dp[i-1][j-1] + 1
			case dp[i-1][j] > dp[i][j-1]:
				dp[i][j] = dp[i-1][j]
			default:
				dp[i][j] = dp[i][j-1]
			}
		}
	}
	return dp[len(r)][len(h)]
}

// BenchmarkSphinx reports, per sample rate, the offline transcriber's real-time factor
// (decode time / audio time, one decoder) and the share of words it gets right on the
// call-centre sentences.
func BenchmarkSphinx(b *testing.B) {
	s := testSphinx(b)
	for _, rate := range []int{16000, 8000} {
		b.Run(strconv.Itoa(rate/1000)+"kHz", func(b *testing.B) {
			var clips []*Audio
			var audio time.Duration
			for _, text := range callCentre {
				a, _, err := ReadAudio(speech(b, text, rate))
				if err != nil {
					b.Fatal(err)
				}
				clips = append(clips, a)
				audio += a.Duration()
			}
			b.ResetTimer()
			right, total := 0, 0
			for b.Loop() {
				for i, a := range clips {
					tr, err := s.TranscribeAudio(context.Background(), a)
					if err != nil {
						b.Fatal(err)
					}
					right += wordsRight(callCentre[i], tr.Text)
					total += len(strings.Fields(callCentre[i]))
				}
			}
			b.ReportMetric(float64(b.Elapsed())/float64(audio)/float64(b.N), "rtf")
			b.ReportMetric(100*float64(right)/float64(total), "%words-right")
		})
	}
}

// BenchmarkQABatch reports how many 8 kHz recordings (the call-centre sentences, about 4 s
// each) are transcribed and scored per minute with the default bounded concurrency (cores-1
// decoders, at least 1) on low-priority threads.
func BenchmarkQABatch(b *testing.B) {
	rules, err := LoadRules("testdata/qa.yaml")
	if err != nil {
		b.Fatal(err)
	}
	workers := max(1, runtime.NumCPU()-1)
	s, err := NewSphinx(OfflineConfig{Workers: workers}, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(s.Close)
	var paths []string
	for _, text := range callCentre {
		paths = append(paths, speech(b, text, 8000))
	}
	batch := &Batch{Transcriber: s, Rules: rules, Queue: "billing", Lang: "en", Workers: workers}
	b.ResetTimer()
	for b.Loop() {
		for _, it := range batch.Run(context.Background(), paths) {
			if it.Err != nil {
				b.Fatal(it.Err)
			}
		}
	}
	b.ReportMetric(float64(len(paths)*b.N)/b.Elapsed().Minutes(), "recordings/min")
	b.ReportMetric(float64(workers), "decoders")
}
