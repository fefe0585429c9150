package callback

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestHTTPAPI(t *testing.T) {
	t.Parallel()
	b := setup(t, testConfig(), setupOpts{})
	srv := httptest.NewServer(b.svc.Handler())
	t.Cleanup(srv.Close)
	post := func(t *testing.T, body string) (int, APIResponse) {
		t.Helper()
		resp, err := http.Post(srv.URL, "application/json", strings.NewReader(body))
		require.NoError(t, err)
		defer resp.Body.Close()
		var out APIResponse
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
		return resp.StatusCode, out
	}
	var firstID int64
	tests := []struct {
		name   string
		body   string
		code   int
		reason Reason
		errHas string
	}{
		{"a new request is created", `{"key":"w1","number":"+14155552671","reason":"loan"}`, 201, "", ""},
		{"the same key again is the same request", `{"key":"w1","number":"+14155552671"}`, 201, "", ""},
		{"another key for the same number is a duplicate", `{"key":"w2","number":"4155552671"}`, 200, "", ""},
		{"not JSON", `number=+14155552671`, 400, "", "not a valid callback request"},
		{"an unknown field", `{"key":"w3","number":"+14155552671","to":"+19005551234"}`, 400, "", "unknown field"},
		{"no key", `{"number":"+14155552671"}`, 400, "", "key is missing"},
		{"no number", `{"key":"w4"}`, 400, ReasonBadNumber, "number is missing"},
		{"a bad number", `{"key":"w5","number":"12"}`, 422, ReasonBadNumber, "not a valid number"},
		{"a premium-rate number", `{"key":"w6","number":"+19005551234"}`, 422, ReasonPremiumRate, "premium-rate"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out := post(t, tc.body)
			require.Equal(t, tc.code, code, "%+v", out)
			require.Equal(t, tc.reason, out.Reason)
			if tc.errHas != "" {
				require.Contains(t, out.Error, tc.errHas)
				return
			}
			require.NotNil(t, out.ETA)
			if firstID == 0 {
				firstID = out.ID
			}
			require.Equal(t, firstID, out.ID)
		})
	}
	resp, err := http.Get(srv.URL)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	require.Equal(t, 1, b.count(t, `SELECT count(*) FROM callback_request WHERE state = 'waiting'`))
}
