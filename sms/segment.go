package sms

import "strings"

// Encoding is how a text travels over the air.
type Encoding string

// The two encodings a text can use.
const (
	GSM7 Encoding = "gsm7" // GSM 03.38 default alphabet, 7 bits a character
	UCS2 Encoding = "ucs2" // UTF-16 code units, for anything GSM-7 cannot carry (e.g. Chinese)
)

// Per-segment capacity: a single text, and each part of a concatenated text (whose user data
// header takes 6 octets).
const (
	gsm7Single = 160
	gsm7Part   = 153
	ucs2Single = 70
	ucs2Part   = 67
)

// gsm7Basic is the GSM 03.38 default alphabet (one septet each).
const gsm7Basic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
	"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"

// gsm7Extension is the GSM 03.38 extension table (escape + septet: two septets each).
const gsm7Extension = "\f^{}\\[~]|€"

// SegmentInfo is how a text is split for sending.
type SegmentInfo struct {
	Encoding Encoding
	// Units is the length in septets (GSM-7) or UTF-16 code units (UCS-2).
	Units int
	// Count is the number of segments (billed messages).
	Count int
}

// Segments says how text is encoded and into how many segments it is split.
func Segments(text string) SegmentInfo {
	parts, enc, units := split(text)
	return SegmentInfo{Encoding: enc, Units: units, Count: len(parts)}
}

// SplitSegments splits text the way a concatenated text is sent: GSM-7 extension characters
// (two septets) and UTF-16 surrogate pairs are never cut in half.
func SplitSegments(text string) []string {
	parts, _, _ := split(text)
	return parts
}

// gsm7Units is the septet count of r, 0 when GSM-7 cannot carry it.
func gsm7Units(r rune) int {
	switch {
	case strings.ContainsRune(gsm7Basic, r):
		return 1
	case strings.ContainsRune(gsm7Extension, r):
		return 2
	default:
		return 0
	}
}

// ucs2Units is the UTF-16 code unit count of r.
func ucs2Units(r rune) int {
	if r >= 0x10000 {
		return 2
	}
	return 1
}

func split(text string) (parts []string, enc Encoding, total int) {
	enc = GSM7
	for _, r := range text {
		if gsm7Units(r) == 0 {
			enc = UCS2
			break
		}
	}
	size := gsm7Units
	single, part := gsm7Single, gsm7Part
	if enc == UCS2 {
		size = ucs2Units
		single, part = ucs2Single, ucs2Part
	}
	for _, r := range text {
		total += size(r)
	}
	if total <= single {
		return []string{text}, enc, total
	}
	var b strings.Builder
	n := 0
	for _, r := range text {
		u := size(r)
		if n+u > part {
			parts = append(parts, b.String())
			b.Reset()
			n = 0
		}
		b.WriteRune(r)
		n += u
	}
	if b.Len() > 0 {
		parts = append(parts, b.String())
	}
	return parts, enc, total
}
