package sms

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSegments(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		text     string
		enc      Encoding
		units    int
		segments int
	}{
		{"plain ASCII fits one segment", strings.Repeat("a", 160), GSM7, 160, 1},
		{"161 GSM characters need two segments of 153", strings.Repeat("a", 161), GSM7, 161, 2},
		{"306 GSM characters fill exactly two parts", strings.Repeat("a", 306), GSM7, 306, 2},
		{"307 GSM characters need three parts", strings.Repeat("a", 307), GSM7, 307, 3},
		{"extension characters count two septets", strings.Repeat("€", 80), GSM7, 160, 1},
		{"81 euro signs overflow one segment", strings.Repeat("€", 81), GSM7, 162, 2},
		{"GSM accents stay GSM-7", "Café à Paris, ñ ü ø", GSM7, 19, 1},
		{"Chinese goes UCS-2, 70 fit one segment", strings.Repeat("你", 70), UCS2, 70, 1},
		{"71 Chinese characters need two parts of 67", strings.Repeat("你", 71), UCS2, 71, 2},
		{"one non-GSM character turns the whole text UCS-2", strings.Repeat("a", 100) + "ç", UCS2, 101, 2},
		{"emoji are surrogate pairs: two units", strings.Repeat("😀", 35), UCS2, 70, 1},
		{"empty text is one segment", "", GSM7, 0, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Segments(tc.text)
			require.Equal(t, SegmentInfo{Encoding: tc.enc, Units: tc.units, Count: tc.segments}, got)
			require.Equal(t, tc.text, strings.Join(SplitSegments(tc.text), ""), "segments rejoin to the text")
		})
	}
}

func TestSplitSegmentsNeverCutsPairs(t *testing.T) {
	t.Parallel()
	// 152 plain characters then an extension character: the escape pair may not straddle
	// the 153-septet boundary, so it moves to the second part.
	parts := SplitSegments(strings.Repeat("a", 152) + "{" + strings.Repeat("b", 10))
	require.Len(t, parts, 2)
	require.Equal(t, strings.Repeat("a", 152), parts[0])
	require.True(t, strings.HasPrefix(parts[1], "{"))

	// 66 Chinese characters then an emoji (two UTF-16 units): 68 units, so the emoji moves on.
	parts = SplitSegments(strings.Repeat("你", 66) + "😀" + strings.Repeat("好", 5))
	require.Len(t, parts, 2)
	require.Equal(t, strings.Repeat("你", 66), parts[0])
	require.Equal(t, "😀"+strings.Repeat("好", 5), parts[1])
}
