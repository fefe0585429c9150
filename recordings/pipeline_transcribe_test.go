package recordings

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// whisperServer plays an OpenAI-compatible transcription server that "hears" text.
type whisperServer struct {
	srv   *httptest.Server
	mu    sync.Mutex
	forms []map[string][]string
	files [][]byte
}

func newWhisperServer(t *testing.T, answer string) *whisperServer {
	w := &whisperServer{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/audio/transcriptions", func(rw http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer whisper-key" {
			http.Error(rw, `{"error":"bad key"}`, http.StatusUnauthorized)
			return
		}
		if err := r.ParseMultipartForm(8 << 20); err != nil {
			http.Error(rw, err.Error(), http.StatusBadRequest)
			return
		}
		f, _, err := r.FormFile("file")
		if err != nil {
			http.Error(rw, "no file", http.StatusBadRequest)
			return
		}
		b, _ := io.ReadAll(f)
		w.mu.Lock()
		w.forms = append(w.forms, r.MultipartForm.Value)
		w.files = append(w.files, b)
		w.mu.Unlock()
		rw.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(rw, answer)
	})
	w.srv = httptest.NewServer(mux)
	t.Cleanup(w.srv.Close)
	return w
}

const mandarinRules = `queues:
  default:
    rules:
      - {name: greeting, say: ["感谢您致电第一国民银行"], within: 10s, weight: 2}
      - {name: forbidden, never_say: ["不是我的问题"], critical: true}
`

func TestPipelineSendsMandarinToTheOpenAIEndpointNotOffline(t *testing.T) {
	answer, err := json.Marshal(map[string]any{
		"task": "transcribe", "language": "chinese", "duration": 3.0,
		"text": "您好，感谢您致电第一国民银行，我是小王。",
		"segments": []map[string]any{
			{"id": 0, "start": 0.0, "end": 2.4, "text": "您好，感谢您致电第一国民银行，"},
			{"id": 1, "start": 2.4, "end": 3.0, "text": "我是小王。"},
		},
	})
	require.NoError(t, err)
	whisper := newWhisperServer(t, string(answer))
	t.Setenv("WHISPER_KEY", "whisper-key")
	rules, err := ParseRules("zh.yaml", []byte(mandarinRules))
	require.NoError(t, err)
	cfg := Config{Destinations: []Destination{
		{Name: "whisper", Type: DestOpenAI, Endpoint: Endpoint{URL: whisper.srv.URL, TokenEnv: "WHISPER_KEY"}, Model: "large-v3"},
		{Name: "sphinx", Type: DestOffline},
	}}
	b := setup(t, cfg, PipelineOptions{Rules: rules, Offline: testSphinx(t)})
	client := b.client(t, true)
	ctx := context.Background()

	call := testCall("call-zh", writeWAV(t, 8000, 1, 16, 1, 8000*3))
	call.Language = "zh-CN"
	rec, err := b.pipe.Submit(ctx, client, call)
	require.NoError(t, err)

	offline := b.waitDelivery(t, rec.ID, "sphinx")
	require.Equal(t, DeliveryFailed, offline.Status)
	require.Equal(t, 1, offline.Attempts, "refused at once, not retried")
	require.Contains(t, offline.Reason, `only an English model, recording is "zh"`)
	require.Contains(t, offline.Reason, "openai")

	sent := b.waitDelivery(t, rec.ID, "whisper")
	require.Equal(t, DeliverySent, sent.Status)
	whisper.mu.Lock()
	require.Len(t, whisper.forms, 1)
	form := whisper.forms[0]
	whisper.mu.Unlock()
	require.Equal(t, []string{"large-v3"}, form["model"])
	require.Equal(t, []string{"verbose_json"}, form["response_format"])
	require.Equal(t, []string{"zh"}, form["language"])
	require.Contains(t, form["timestamp_granularities[]"], "word")

	tr, err := b.pipe.Store().Transcript(ctx, rec.ID)
	require.NoError(t, err)
	require.Equal(t, "openai:large-v3", tr.Backend)
	require.Equal(t, "zh", tr.Language)
	require.Contains(t, tr.Text, "第一国民银行")

	st, err := b.pipe.Store().ScoreByCall(ctx, "call-zh")
	require.NoError(t, err)
	require.True(t, st.Result.Passed, "%+v", st.Result)
	require.Contains(t, st.Result.Rules[0].Evidence[0].Text, "第 一 国 民 银 行")
}

func TestPipelineTranscribesOfflineAndScores(t *testing.T) {
	t.Parallel()
	rules, err := LoadRules("testdata/qa.yaml")
	require.NoError(t, err)
	b := setup(t, Config{}, PipelineOptions{Rules: rules, Offline: testSphinx(t)})
	require.Equal(t, []Destination{{Name: OfflineDestination, Type: DestOffline}}, b.pipe.Destinations(),
		"with no transcription service configured, the offline transcriber is used")
	client := b.client(t, true)
	ctx := context.Background()

	good := testCall("call-good", speech(t, goodAgent, 8000))
	good.Duration = 0 // not checked
	rec, err := b.pipe.Submit(ctx, client, good)
	require.NoError(t, err)
	d := b.waitDelivery(t, rec.ID, OfflineDestination)
	require.Equal(t, DeliverySent, d.Status, d.Reason)

	tr, err := b.pipe.Store().Transcript(ctx, rec.ID)
	require.NoError(t, err)
	require.Equal(t, "pocketsphinx", tr.Backend)
	require.NotEmpty(t, tr.Words)
	st, err := b.pipe.Store().ScoreByCall(ctx, "call-good")
	require.NoError(t, err)
	require.True(t, st.Result.Passed, "%+v", st.Result)
	require.Equal(t, "sarah", st.Recording.Agent)
}
