package expr

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

type tokKind uint8

const (
	tEOF tokKind = iota
	tNum
	tStr
	tIdent
	tOp // operators and punctuation: == != < <= > >= + - * / % ( ) [ ] , . |
)

type token struct {
	kind tokKind
	text string // identifier, operator, or the decoded string
	num  float64
	off  int // byte offset in the source
}

// lex splits src into tokens. It reports designer-friendly errors for the operators of other
// languages (&&, ||, !, single =).
func lex(src string) ([]token, error) {
	toks := make([]token, 0, len(src)/4+2)
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c >= '0' && c <= '9':
			j := i
			for j < len(src) && (src[j] >= '0' && src[j] <= '9' || src[j] == '.' || src[j] == '_') {
				j++
			}
			text := strings.ReplaceAll(src[i:j], "_", "")
			var n float64
			if _, err := fmt.Sscanf(text, "%g", &n); err != nil || strings.Count(text, ".") > 1 || strings.HasSuffix(text, ".") {
				return nil, &Error{Offset: i, Msg: fmt.Sprintf("%q is not a number", src[i:j])}
			}
			toks = append(toks, token{kind: tNum, text: src[i:j], num: n, off: i})
			i = j
		case c == '"' || c == '\'':
			s, n, err := lexString(src[i:])
			if err != nil {
				return nil, &Error{Offset: i, Msg: err.Error()}
			}
			toks = append(toks, token{kind: tStr, text: s, off: i})
			i += n
		case c == '_' || c < utf8.RuneSelf && unicode.IsLetter(rune(c)):
			j := i
			for j < len(src) && (src[j] == '_' || src[j] < utf8.RuneSelf && (unicode.IsLetter(rune(src[j])) || unicode.IsDigit(rune(src[j])))) {
				j++
			}
			toks = append(toks, token{kind: tIdent, text: src[i:j], off: i})
			i = j
		default:
			two := ""
			if i+1 < len(src) {
				two = src[i : i+2]
			}
			switch two {
			case "==", "!=", "<=", ">=":
				toks = append(toks, token{kind: tOp, text: two, off: i})
				i += 2
				continue
			case "&&":
				return nil, &Error{Offset: i, Msg: `write "and" instead of &&`}
			case "||":
				return nil, &Error{Offset: i, Msg: `write "or" instead of ||`}
			case "{{", "}}":
				return nil, &Error{Offset: i, Msg: "no {{ }} in an expression: write the expression alone, e.g. vars.balance > 100"}
			}
			switch c {
			case '<', '>', '+', '-', '*', '/', '%', '(', ')', '[', ']', ',', '.', '|':
				toks = append(toks, token{kind: tOp, text: string(c), off: i})
				i++
			case '=':
				return nil, &Error{Offset: i, Msg: "write == to compare (a single = is not allowed)"}
			case '!':
				return nil, &Error{Offset: i, Msg: `write "not" instead of !`}
			default:
				r, _ := utf8.DecodeRuneInString(src[i:])
				return nil, &Error{Offset: i, Msg: fmt.Sprintf("unexpected %q: put text in quotes, e.g. \"hello\"", r)}
			}
		}
	}
	toks = append(toks, token{kind: tEOF, off: len(src)})
	return toks, nil
}

// lexString decodes a quoted string at the start of s, returning it and the bytes consumed.
// Escapes: \" \' \\ \n \t; any other backslash is kept (regexes: \d).
func lexString(s string) (string, int, error) {
	q := s[0]
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == q:
			return b.String(), i + 1, nil
		case c == '\\' && i+1 < len(s):
			i++
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case '"', '\'', '\\':
				b.WriteByte(s[i])
			default: // keep regex escapes such as \d as they are
				b.WriteByte('\\')
				b.WriteByte(s[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, fmt.Errorf("text starting with %c is not closed: add the closing %c", q, q)
}
