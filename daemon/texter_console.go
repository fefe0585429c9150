package daemon

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/ivrd/ivrd/sms"
)

// ConsoleTexter sends flows' texts to a writer without a database: what `ivrd call --digits`
// uses so sms steps work in-process. Templates come from the config's sms.templates, rendered
// like the SMS service renders them. A Key seen before is not sent again.
type ConsoleTexter struct {
	cfg    sms.Config
	w      io.Writer
	render sms.Renderer

	mu   sync.Mutex
	keys map[string]sms.Queued
	seq  atomic.Int64
}

// NewConsoleTexter prints texts to w using cfg's templates and sender number.
func NewConsoleTexter(cfg sms.Config, w io.Writer) *ConsoleTexter {
	return &ConsoleTexter{cfg: cfg, w: w, render: &sms.ExprRenderer{}, keys: map[string]sms.Queued{}}
}

// Send implements ivr.Texter.
func (c *ConsoleTexter) Send(_ context.Context, t sms.Text) (sms.Queued, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if q, ok := c.keys[t.Key]; ok {
		q.Duplicate = true
		return q, nil
	}
	to, err := sms.NormalizeNumber(t.To, c.cfg.DefaultRegion)
	if err != nil {
		return sms.Queued{}, fmt.Errorf("text %s: %w", t.Key, err)
	}
	body, lang := t.Body, t.Lang
	if body == "" {
		langs := c.cfg.Templates[t.Template]
		text, ok := langs[t.Lang]
		if !ok {
			lang = c.cfg.DefaultLang
			text, ok = langs[lang]
		}
		if !ok {
			return sms.Queued{}, fmt.Errorf("text %s: template %q: %w under sms.templates", t.Key, t.Template, sms.ErrNoTemplate)
		}
		if body, err = c.render.Render(text, t.Vars); err != nil {
			return sms.Queued{}, fmt.Errorf("text %s: template %q: %w", t.Key, t.Template, err)
		}
	}
	q := sms.Queued{ID: c.seq.Add(1), To: to, Body: body, Lang: lang, Segments: sms.Segments(body)}
	c.keys[t.Key] = q
	fmt.Fprintf(c.w, "SMS %s -> %s: %s\n", c.cfg.From, to, body)
	return q, nil
}
