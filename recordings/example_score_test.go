package recordings_test

import (
	"fmt"
	"os"
	"time"

	"github.com/ivrd/ivrd/recordings"
)

// A QA rules file scores a call's transcript; here a transcript as pocketsphinx might hear it,
// with "call" misheard as "cold" and a forbidden phrase.
func ExampleScore() {
	rules, err := recordings.ParseRules("qa.yaml", []byte(`
queues:
  default:
    pass_score: 80
    rules:
      - {name: greeting, say: ["thank you for calling first national bank"], weight: 3}
      - {name: closing, say: ["thank you for your call"], weight: 1}
      - {name: forbidden, never_say: ["that is not my problem"], critical: true}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	rs, _ := rules.For("billing")
	var words []recordings.Word
	for i, w := range []string{"thank", "you", "for", "calling", "first", "national", "bank",
		"but", "it's", "not", "my", "problem", "thank", "you", "for", "your", "cold"} {
		words = append(words, recordings.Word{Text: w, Start: time.Duration(i) * 300 * time.Millisecond,
			End: time.Duration(i+1) * 300 * time.Millisecond})
	}
	res := recordings.Score(rs, "billing", &recordings.Transcript{Words: words}, &recordings.Activity{})
	_ = recordings.WriteResult(os.Stdout, "call-42", res)
	// Output:
	// call-42  queue billing  score 80.0 (pass 80.0)  FAIL (critical rule failed: forbidden)
	// RULE       RESULT  WEIGHT  DETAIL                                                           EVIDENCE
	// greeting   pass    3       said "thank you for calling first national bank" (7 of 7 words)  0:00.00-0:02.10 "thank you for calling first national bank"
	// closing    pass    1       said "thank you for your call" (4 of 5 words)                    0:03.60-0:04.80 "thank you for your"
	// forbidden  FAIL*   1       said "that is not my problem"                                    0:02.40-0:03.60 "is not my problem"
	// * critical: failing it fails the call
}
