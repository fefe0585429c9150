package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"time"
)

//go:embed status_page.html.tmpl
var statusFS embed.FS

var statusTmpl = template.Must(template.New("status_page.html.tmpl").Funcs(template.FuncMap{
	"since":    func(now, t time.Time) string { return fmtDuration(now.Sub(t)) },
	"until":    func(now, t time.Time) string { return fmtDuration(t.Sub(now)) },
	"duration": fmtDuration,
	"percent": func(f float64) string {
		if f < 0 {
			return "–"
		}
		return fmt.Sprintf("%.0f%%", f*100)
	},
	"rfc3339": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"clock":   func(t time.Time) string { return t.UTC().Format("15:04:05") },
	"ms":      func(t time.Time) int64 { return t.UnixMilli() },
}).ParseFS(statusFS, "status_page.html.tmpl"))

// statusPage is what the template sees.
type statusPage struct {
	Status
	Running       bool   // a StatusSource is set
	Error         string // the source failed
	Nonce         string // CSP nonce of the page's inline script
	MermaidScript string
}

// fmtDuration prints d as "1h02m", "3m05s" or "42s".
func fmtDuration(d time.Duration) string {
	neg := d < 0
	if neg {
		d = -d
	}
	d = d.Round(time.Second)
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	var out string
	switch {
	case h > 0:
		out = fmt.Sprintf("%dh%02dm", h, m)
	case m > 0:
		out = fmt.Sprintf("%dm%02ds", m, s)
	default:
		out = fmt.Sprintf("%ds", s)
	}
	if neg {
		return "-" + out
	}
	return out
}

// handleStatusJSON serves the same snapshot as the page, for scripts and dashboards.
func (s *Server) handleStatusJSON(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if s.opts.Status == nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": "the call runtime is not running in this process"})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.ReadyTimeout)
	st, err := s.opts.Status.Status(ctx)
	cancel()
	if err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
		return
	}
	_ = json.NewEncoder(w).Encode(st)
}

func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) {
	var nb [16]byte
	_, _ = rand.Read(nb[:])
	page := statusPage{Nonce: base64.StdEncoding.EncodeToString(nb[:]), MermaidScript: s.opts.MermaidScript}
	code := http.StatusOK
	if s.opts.Status != nil {
		page.Running = true
		ctx, cancel := context.WithTimeout(r.Context(), s.opts.ReadyTimeout)
		st, err := s.opts.Status.Status(ctx)
		cancel()
		if err != nil {
			code = http.StatusServiceUnavailable
			page.Error = err.Error()
			s.log.Warn("status page: status source failed", "err", err)
		}
		page.Status = st
	}
	if page.Now.IsZero() {
		page.Now = time.Now()
	}
	var buf bytes.Buffer
	if err := statusTmpl.Execute(&buf, page); err != nil {
		s.log.Error("status page: render", "err", err)
		http.Error(w, "status page failed to render; see the ivrd log", http.StatusInternalServerError)
		return
	}
	scriptSrc := fmt.Sprintf("'nonce-%s'", page.Nonce)
	if u, err := url.Parse(s.opts.MermaidScript); err == nil && u.Host != "" {
		scriptSrc += " " + u.Scheme + "://" + u.Host
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; script-src "+scriptSrc)
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}
