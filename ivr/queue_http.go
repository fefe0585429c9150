package ivr

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
)

// Routes registers the queue API on mux:
//
//	GET  /api/queues                         every queue's figures and agents (JSON list of QueueStats)
//	GET  /api/queues/{queue}                 one queue's
//	POST /api/queues/{queue}/login?agent=E   log agent endpoint E in (e.g. user/1001)
//	POST /api/queues/{queue}/logout?agent=E  log it out
//
// Errors are JSON {"error": "..."}: 404 for an unknown queue or agent, 400 for a bad agent.
func (e *QueueEngine) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/queues", func(w http.ResponseWriter, r *http.Request) {
		s, err := e.Stats(r.Context())
		e.reply(w, s, err)
	})
	mux.HandleFunc("GET /api/queues/{queue}", func(w http.ResponseWriter, r *http.Request) {
		s, err := e.QueueStats(r.Context(), r.PathValue("queue"))
		e.reply(w, s, err)
	})
	agentOp := func(op func(*http.Request, string, string) error) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			q, agent := r.PathValue("queue"), r.URL.Query().Get("agent")
			if agent == "" {
				writeJSONError(w, http.StatusBadRequest, "give the agent as ?agent=ENDPOINT, e.g. ?agent=user/1001")
				return
			}
			if err := op(r, q, agent); err != nil {
				e.reply(w, nil, err)
				return
			}
			s, err := e.QueueStats(r.Context(), q)
			e.reply(w, s, err)
		}
	}
	mux.HandleFunc("POST /api/queues/{queue}/login", agentOp(func(r *http.Request, q, a string) error { return e.Login(r.Context(), q, a) }))
	mux.HandleFunc("POST /api/queues/{queue}/logout", agentOp(func(r *http.Request, q, a string) error { return e.Logout(r.Context(), q, a) }))
}

// Handler returns a mux with Routes, to mount at /api/queues and /api/queues/.
func (e *QueueEngine) Handler() http.Handler {
	mux := http.NewServeMux()
	e.Routes(mux)
	return mux
}

func (e *QueueEngine) reply(w http.ResponseWriter, v any, err error) {
	switch {
	case errors.Is(err, ErrUnknownQueue), errors.Is(err, ErrUnknownAgent):
		writeJSONError(w, http.StatusNotFound, err.Error())
	case err != nil && errors.Is(err, ErrQueueStopped):
		writeJSONError(w, http.StatusServiceUnavailable, err.Error())
	case err != nil:
		// Login's own validation errors: bad input.
		writeJSONError(w, http.StatusBadRequest, err.Error())
	default:
		w.Header().Set("Content-Type", "application/json")
		if err := json.NewEncoder(w).Encode(v); err != nil {
			e.log.Warn("queue api: writing the reply failed", slog.Any("err", err))
		}
	}
}

func writeJSONError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}
