package callback

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// APIRequest is the body of POST /api/callbacks.
type APIRequest struct {
	// Key is the client's idempotency key: posting the same key twice creates one request.
	Key string `json:"key"`
	// Number to call back (E.164, or national in callbacks.default_region).
	Number string `json:"number"`
	Lang   string `json:"lang,omitempty"`
	Queue  string `json:"queue,omitempty"`
	Reason string `json:"reason,omitempty"`
	// Priority orders waiting callbacks (higher first).
	Priority int `json:"priority,omitempty"`
}

// APIResponse is the answer: 201 for a new request, 200 for a duplicate, 422 for a refusal.
type APIResponse struct {
	ID        int64      `json:"id,omitempty"`
	ETA       *time.Time `json:"eta,omitempty"`
	Duplicate bool       `json:"duplicate,omitempty"`
	Error     string     `json:"error,omitempty"`
	Reason    Reason     `json:"reason,omitempty"`
}

// Handler serves POST /api/callbacks (JSON APIRequest -> APIResponse). Mount it at that path.
func (s *Service) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reply := func(code int, resp APIResponse) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(code)
			_ = json.NewEncoder(w).Encode(resp)
		}
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			reply(http.StatusMethodNotAllowed, APIResponse{Error: "use POST with a JSON body {\"key\": ..., \"number\": ...}"})
			return
		}
		if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
			reply(http.StatusUnsupportedMediaType, APIResponse{Error: "send Content-Type: application/json"})
			return
		}
		dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
		dec.DisallowUnknownFields()
		var in APIRequest
		if err := dec.Decode(&in); err != nil {
			reply(http.StatusBadRequest, APIResponse{Error: fmt.Sprintf("body is not a valid callback request: %v; send {\"key\": \"unique-id\", \"number\": \"+14155552671\"}", err)})
			return
		}
		if strings.TrimSpace(in.Key) == "" {
			reply(http.StatusBadRequest, APIResponse{Error: "key is missing: give each request a unique key so a retried POST creates one callback"})
			return
		}
		if strings.TrimSpace(in.Number) == "" {
			reply(http.StatusBadRequest, APIResponse{Error: "number is missing: give the number to call back, e.g. +14155552671", Reason: ReasonBadNumber})
			return
		}
		rc, err := s.Request(r.Context(), Request{Source: SourceAPI, Key: in.Key, Number: in.Number, Lang: in.Lang,
			Queue: in.Queue, Topic: in.Reason, Priority: in.Priority})
		var refused *RefusedError
		switch {
		case errors.As(err, &refused):
			reply(http.StatusUnprocessableEntity, APIResponse{ID: refused.RequestID, Error: refused.Detail, Reason: refused.Reason})
		case err != nil:
			s.log.Error("callback API request failed", "key", in.Key, "err", err)
			reply(http.StatusServiceUnavailable, APIResponse{Error: "the callback could not be stored now; retry with the same key"})
		default:
			code := http.StatusCreated
			if rc.Duplicate {
				code = http.StatusOK
			}
			reply(code, APIResponse{ID: rc.ID, ETA: &rc.ETA, Duplicate: rc.Duplicate})
		}
	})
}
