package fstest

// splitAppArgs splits an application's argument string the way FreeSWITCH's
// switch_separate_string does with a blank delimiter: so play_and_get_digits can take a prompt
// with spaces: 1 1 1 5000 # 'say:Press 1 for sales' silence_stream://250 digits \d 2000.
func splitAppArgs(s string) []string { return separateString(s, ' ') }

// separateString splits s the way FreeSWITCH's switch_separate_string does: on delim (runs of
// blanks when delim is ' '), except inside single quotes, which are removed; a backslash before
// a quote, the delimiter or a backslash makes it literal, and any other backslash is kept (so a
// regular expression like \d+ survives, as it does in FreeSWITCH: trace 05b). The same rules
// split variable lists ({a='x y',b=Bank\, N.A.}).
func separateString(s string, delim byte) []string {
	var out []string
	var cur []byte
	inQuote, inArg := false, false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == '\\' && i+1 < len(s) && (s[i+1] == '\'' || s[i+1] == delim || s[i+1] == '\\'):
			i++
			cur = append(cur, s[i])
			inArg = true
		case ch == '\'':
			inQuote = !inQuote
			inArg = true
		case ch == delim && !inQuote:
			if inArg || delim != ' ' {
				out = append(out, string(cur))
				cur, inArg = cur[:0], false
			}
		default:
			cur = append(cur, ch)
			inArg = true
		}
	}
	if inArg {
		out = append(out, string(cur))
	}
	return out
}
