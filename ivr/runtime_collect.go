package ivr

import (
	"context"
	"fmt"
	"strings"

	"github.com/ivrd/ivrd/ivr/expr"
)

// Menus, inputs and the language choice collect digits with one play_and_get_digits per try:
// the (invalid or timeout) notice of the previous try and the prompt play in the same round
// trip, any key stops the prompt (barge-in) and FreeSWITCH itself times the first digit and
// the gaps between digits. The runtime checks the digits against the options or the regex.

// execMenu asks until a valid option is pressed or the tries run out (then OnFail).
func (c *call) execMenu(ctx context.Context, s *Step) (*Step, error) {
	m := s.Menu
	choice, err := c.choose(ctx, &m.Collect, m.Options, m.MaxDigits)
	if err != nil {
		return nil, err
	}
	if choice == nil {
		return m.OnFail, nil
	}
	return choice.Step, nil
}

// execLanguage sets the caller's language, by asking or directly; a caller who never picks
// one keeps the language they have.
func (c *call) execLanguage(ctx context.Context, s *Step) (*Step, error) {
	l := s.Language
	if l.Set != "" {
		c.setLanguage(l.Set)
		return s.Next, nil
	}
	max := 1
	for _, o := range l.Options {
		max = maxInt(max, len(o.Digits))
	}
	choice, err := c.choose(ctx, &l.Collect, l.Options, max)
	if err != nil {
		return nil, err
	}
	if choice != nil {
		c.setLanguage(choice.Lang)
	}
	return s.Next, nil
}

func (c *call) setLanguage(lang string) {
	c.lang = lang
	c.rec.Language = lang
	c.event(EventLanguage, lang)
}

// choose runs the tries of a menu-like collection and returns the option chosen (nil when
// every try failed; the last notice has then been played).
func (c *call) choose(ctx context.Context, col *Collect, options []DigitChoice, maxDigits int) (*DigitChoice, error) {
	maxDigits = maxInt(maxDigits, 1)
	term := ""
	if maxDigits > 1 && !hasOption(options, "#") {
		term = "#"
	}
	var notice []Media
	for try := 1; try <= tries(col); try++ {
		res, err := c.digits(ctx, col, notice, 1, maxDigits, term)
		if err != nil {
			return nil, err
		}
		if res.TimedOut() {
			c.event(EventDigits, fmt.Sprintf("timeout (try %d of %d)", try, tries(col)))
			notice = c.media(col.TimeoutPrompt)
			continue
		}
		d := res.Digits
		if d == "" {
			d = res.Terminator // a menu may offer "#" or "*" as an option
		}
		for i := range options {
			if options[i].Digits == d {
				c.event(EventDigits, d)
				return &options[i], nil
			}
		}
		c.event(EventDigits, fmt.Sprintf("%s invalid (try %d of %d)", d, try, tries(col)))
		notice = c.media(col.InvalidPrompt)
	}
	return nil, c.playNotice(ctx, notice)
}

// execInput collects an entry into vars.<Into>, with optional read-back confirmation.
func (c *call) execInput(ctx context.Context, s *Step) (*Step, error) {
	in := s.Input
	min, max := in.Min, in.Max
	if min <= 0 {
		min = 1
	}
	if max <= 0 {
		max = 20
	}
	var notice []Media
	for try := 1; try <= tries(&in.Collect); try++ {
		res, err := c.digits(ctx, &in.Collect, notice, min, max, in.Terminator)
		if err != nil {
			return nil, err
		}
		d := res.Digits
		switch {
		case d == "":
			c.event(EventDigits, fmt.Sprintf("timeout (try %d of %d)", try, tries(&in.Collect)))
			notice = c.media(in.TimeoutPrompt)
			continue
		case len(d) < min || len(d) > max || (in.Regex != nil && !in.Regex.MatchString(d)):
			c.event(EventDigits, fmt.Sprintf("%s invalid (try %d of %d)", d, try, tries(&in.Collect)))
			notice = c.media(in.InvalidPrompt)
			continue
		}
		c.event(EventDigits, d+res.Terminator)
		c.setVar(in.Into, expr.StringValue(d))
		if in.Confirm == nil {
			return s.Next, nil
		}
		yes, no, err := c.confirm(ctx, in, d)
		if err != nil {
			return nil, err
		}
		switch {
		case yes:
			return s.Next, nil
		case no:
			notice = nil // ask again, straight away
		default:
			notice = c.media(in.InvalidPrompt)
		}
	}
	return in.OnFail, c.playNotice(ctx, notice)
}

// confirm reads the entry back and asks yes (Confirm.Yes) or no (Confirm.No).
func (c *call) confirm(ctx context.Context, in *InputStep, entry string) (yes, no bool, err error) {
	cf := in.Confirm
	yesKey, noKey := cf.Yes, cf.No
	if yesKey == "" {
		yesKey = DefaultConfirmYes
	}
	if noKey == "" {
		noKey = DefaultConfirmNo
	}
	prompt := c.media(cf.Prompt)
	if len(prompt) == 0 {
		prompt = []Media{{Kind: MediaSpeech, Src: readBack(c.lang, entry, yesKey, noKey), Voice: c.voice()}}
	}
	res, err := c.ch.PlayAndGetDigits(ctx, DigitsRequest{
		Prompt: prompt, Min: 1, Max: 1,
		Timeout: orDefault(in.Timeout, DefaultMenuTimeout), DigitTimeout: orDefault(in.DigitTimeout, DefaultDigitTimeout),
	})
	if err != nil {
		return false, false, fmt.Errorf("confirm: %w", err)
	}
	switch {
	case res.Digits == yesKey:
		c.event(EventDigits, res.Digits+" (confirmed)")
		return true, false, nil
	case res.Digits == noKey:
		c.event(EventDigits, res.Digits+" (re-enter)")
		return false, true, nil
	case res.TimedOut():
		c.event(EventDigits, "timeout (confirmation)")
	default:
		c.event(EventDigits, res.Digits+res.Terminator+" invalid (confirmation)")
	}
	return false, false, nil
}

// readBack is the built-in confirmation text.
func readBack(lang, entry, yes, no string) string {
	spaced := strings.Join(strings.Split(entry, ""), " ")
	switch lang {
	case "es":
		return fmt.Sprintf("Usted marcó %s. Si es correcto, pulse %s. Para marcarlo de nuevo, pulse %s.", spaced, yes, no)
	case "fr":
		return fmt.Sprintf("Vous avez saisi %s. Si c'est correct, appuyez sur %s. Pour recommencer, appuyez sur %s.", spaced, yes, no)
	case "de":
		return fmt.Sprintf("Sie haben %s eingegeben. Wenn das stimmt, drücken Sie %s. Zum erneuten Eingeben drücken Sie %s.", spaced, yes, no)
	}
	return fmt.Sprintf("You entered %s. If this is correct, press %s. To enter it again, press %s.", spaced, yes, no)
}

// digits runs one try: a key kept from a barged-in play step counts as the first digit;
// otherwise notice and prompt play and the digits are collected in one round trip. Without
// barge-in the prompt plays to its end first.
func (c *call) digits(ctx context.Context, col *Collect, notice []Media, min, max int, term string) (DigitsResult, error) {
	timeout := orDefault(col.Timeout, DefaultMenuTimeout)
	gap := orDefault(col.DigitTimeout, DefaultDigitTimeout)
	pctx, cancel := context.WithTimeout(ctx, c.rt.cfg.MediaTimeout)
	defer cancel()
	if d := c.pending; d != "" {
		c.pending = ""
		if strings.Contains(term, d) {
			return DigitsResult{Terminator: d}, nil
		}
		if max == 1 {
			return DigitsResult{Digits: d}, nil
		}
		res, err := c.ch.PlayAndGetDigits(pctx, DigitsRequest{
			Min: maxInt(min-1, 1), Max: max - 1, Timeout: gap, DigitTimeout: gap, Terminators: term,
		})
		if err != nil {
			return res, fmt.Errorf("collect digits: %w", err)
		}
		res.Digits = d + res.Digits
		return res, nil
	}
	prompt := append(notice, c.media(col.Prompt)...)
	if !col.BargeIn && len(prompt) > 0 {
		if _, err := c.ch.Play(pctx, prompt, ""); err != nil {
			return DigitsResult{}, fmt.Errorf("play prompt: %w", err)
		}
		prompt = nil
	}
	res, err := c.ch.PlayAndGetDigits(pctx, DigitsRequest{
		Prompt: prompt, Min: min, Max: max, Timeout: timeout, DigitTimeout: gap, Terminators: term,
	})
	if err != nil {
		return res, fmt.Errorf("collect digits: %w", err)
	}
	return res, nil
}

// playNotice plays the last try's invalid/timeout notice before the failure branch.
func (c *call) playNotice(ctx context.Context, notice []Media) error {
	if len(notice) == 0 {
		return nil
	}
	pctx, cancel := context.WithTimeout(ctx, c.rt.cfg.MediaTimeout)
	defer cancel()
	if _, err := c.ch.Play(pctx, notice, ""); err != nil {
		return fmt.Errorf("play notice: %w", err)
	}
	return nil
}

func tries(col *Collect) int {
	if col.Tries <= 0 {
		return DefaultTries
	}
	return col.Tries
}

func hasOption(options []DigitChoice, d string) bool {
	for _, o := range options {
		if o.Digits == d {
			return true
		}
	}
	return false
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}
