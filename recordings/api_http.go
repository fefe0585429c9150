package recordings

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
)

// Handler serves stored QA results over HTTP:
//
//	GET /api/qa/{call}  the call's recording, deliveries and score, as JSON
//
// Unknown calls get 404, calls not scored yet 404 with a reason, both as {"error": "..."}.
// Mount it on the ops listener: mux.Handle("/api/qa/", recordings.NewHandler(store, log)).
func NewHandler(s *Store, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.Default()
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/qa/{call}", func(w http.ResponseWriter, r *http.Request) {
		call := r.PathValue("call")
		score, err := s.ScoreByCall(r.Context(), call)
		if errors.Is(err, ErrNotFound) {
			writeAPIJSON(w, http.StatusNotFound, map[string]string{"error": err.Error()})
			return
		}
		if err != nil {
			log.Error("recordings: api: load score", "call", call, "err", err)
			writeAPIJSON(w, http.StatusInternalServerError, map[string]string{"error": "cannot load the score; see ivrd's log"})
			return
		}
		deliveries, err := s.Deliveries(r.Context(), score.Recording.ID)
		if err != nil {
			log.Error("recordings: api: load deliveries", "call", call, "err", err)
			writeAPIJSON(w, http.StatusInternalServerError, map[string]string{"error": "cannot load the deliveries; see ivrd's log"})
			return
		}
		writeAPIJSON(w, http.StatusOK, map[string]any{"recording": score.Recording, "deliveries": deliveries,
			"result": score.Result, "scored_at": score.ScoredAt})
	})
	return mux
}

func writeAPIJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
