package recordings

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestHandlerServesAStoredScore(t *testing.T) {
	b := setup(t, Config{Offline: OfflineConfig{Disabled: true}}, PipelineOptions{})
	client := b.client(t, false)
	ctx := context.Background()
	rec, err := b.pipe.Submit(ctx, client, testCall("call-api", writeWAV(t, 8000, 1, 16, 1, 8000*3)))
	require.NoError(t, err)
	res := Score(loadTestRules(t), "billing", &Transcript{Text: "hello what do you want that is not my problem"},
		&Activity{Duration: rec.AudioDuration})
	require.NoError(t, b.pipe.Store().SaveScore(ctx, rec.ID, res))

	srv := httptest.NewServer(NewHandler(b.pipe.Store(), nil))
	t.Cleanup(srv.Close)

	resp, err := http.Get(srv.URL + "/api/qa/call-api")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var body struct {
		Recording Recording `json:"recording"`
		Result    Result    `json:"result"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	require.Equal(t, rec.SHA256, body.Recording.SHA256)
	require.False(t, body.Result.Passed)
	forbidden := ruleResult(t, &body.Result, "forbidden")
	require.Equal(t, Fail, forbidden.Status)
	require.Equal(t, "that is not my problem", forbidden.Evidence[0].Text)

	_, err = b.pipe.Submit(ctx, client, testCall("call-unscored", writeWAV(t, 8000, 1, 16, 1, 8000*3)))
	require.NoError(t, err)
	for _, path := range []string{"/api/qa/no-such-call", "/api/qa/call-unscored"} {
		resp, err := http.Get(srv.URL + path)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusNotFound, resp.StatusCode, path)
	}
}
