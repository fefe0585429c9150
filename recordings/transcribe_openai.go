package recordings

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// OpenAI transcribes through an OpenAI-compatible /v1/audio/transcriptions endpoint (OpenAI,
// whisper.cpp's server, faster-whisper servers, vLLM): any language the model knows,
// including Mandarin, which has no offline model here.
type OpenAI struct {
	Endpoint Endpoint
	// Model is sent as the "model" field (default "whisper-1").
	Model  string
	Client *http.Client
}

// transcriptionsPath is appended to endpoint URLs that do not already name it.
const transcriptionsPath = "/v1/audio/transcriptions"

func (o *OpenAI) url() string {
	u := strings.TrimRight(o.Endpoint.URL, "/")
	if strings.HasSuffix(u, "/audio/transcriptions") {
		return u
	}
	if strings.HasSuffix(u, "/v1") {
		return u + "/audio/transcriptions"
	}
	return u + transcriptionsPath
}

// Transcribe uploads the WAV at path (multipart: file, model, response_format=verbose_json,
// timestamp_granularities[]=word and segment, language) and reads the verbose JSON answer,
// with word timings when the server gives them, else segment timings.
func (o *OpenAI) Transcribe(ctx context.Context, path, lang string) (*Transcript, error) {
	return o.transcribe(ctx, path, lang, nil)
}

func (o *OpenAI) transcribe(ctx context.Context, path, lang string, header http.Header) (*Transcript, error) {
	model := o.Model
	if model == "" {
		model = "whisper-1"
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("transcribe: %w", err)
	}
	defer f.Close()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fields := [][2]string{{"model", model}, {"response_format", "verbose_json"},
		{"timestamp_granularities[]", "word"}, {"timestamp_granularities[]", "segment"}}
	if l := normLang(lang); l != "" {
		fields = append(fields, [2]string{"language", l})
	}
	for _, kv := range fields {
		if err := mw.WriteField(kv[0], kv[1]); err != nil {
			return nil, fmt.Errorf("transcribe: %w", err)
		}
	}
	part, err := mw.CreateFormFile("file", filepath.Base(path))
	if err != nil {
		return nil, fmt.Errorf("transcribe: %w", err)
	}
	if _, err := io.Copy(part, f); err != nil {
		return nil, fmt.Errorf("transcribe: read %s: %w", path, err)
	}
	if err := mw.Close(); err != nil {
		return nil, fmt.Errorf("transcribe: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.url(), &body)
	if err != nil {
		return nil, permanent(fmt.Errorf("transcribe: bad endpoint URL: %w", err))
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	client := o.Client
	if client == nil {
		client = http.DefaultClient
	}
	answer, err := o.Endpoint.do(ctx, client, req)
	if err != nil {
		return nil, fmt.Errorf("transcribe: %w", err)
	}
	return parseVerboseJSON(answer, lang, "openai:"+model)
}

// verboseJSON is the response_format=verbose_json answer.
type verboseJSON struct {
	Text     string `json:"text"`
	Language string `json:"language"`
	Words    []struct {
		Word  string  `json:"word"`
		Start float64 `json:"start"`
		End   float64 `json:"end"`
	} `json:"words"`
	Segments []struct {
		Text  string  `json:"text"`
		Start float64 `json:"start"`
		End   float64 `json:"end"`
	} `json:"segments"`
}

func parseVerboseJSON(b []byte, lang, backend string) (*Transcript, error) {
	var v verboseJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, permanent(fmt.Errorf("transcribe: answer is not verbose_json (%v): %s; check the endpoint is OpenAI-compatible", err, snippet(b)))
	}
	t := &Transcript{Text: strings.TrimSpace(v.Text), Language: v.Language, Backend: backend}
	if t.Language == "" || len(t.Language) > 3 {
		// OpenAI answers "english"/"chinese"; keep the ISO code we asked for when we have it.
		if l := normLang(lang); l != "" {
			t.Language = l
		} else {
			t.Language = normLang(v.Language)
		}
	}
	sec := func(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }
	switch {
	case len(v.Words) > 0:
		for _, w := range v.Words {
			t.Words = append(t.Words, Word{Text: strings.TrimSpace(w.Word), Start: sec(w.Start), End: sec(w.End)})
		}
	case len(v.Segments) > 0:
		for _, s := range v.Segments {
			t.Words = append(t.Words, Word{Text: strings.TrimSpace(s.Text), Start: sec(s.Start), End: sec(s.End)})
		}
	}
	return t, nil
}
