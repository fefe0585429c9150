package daemon

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/config"
)

func TestRouterPicksExactThenLongestPrefixThenDefault(t *testing.T) {
	t.Parallel()
	r, err := NewRouter(config.Flows{Default: "hotline", Routes: []config.Route{
		{Number: "5000", Flow: "hotline"},
		{Number: "5001", Flow: "callback"},
		{Number: "08*", Flow: "freephone"},
		{Number: "0800*", Flow: "sales"},
	}})
	require.NoError(t, err)
	for called, want := range map[string]string{
		"5000": "hotline", "5001": "callback", "0812": "freephone", "08001234": "sales", "999": "hotline", "": "hotline",
	} {
		require.Equal(t, want, r.Flow(called), "called %q", called)
	}
	require.Equal(t, []string{"callback", "freephone", "hotline", "sales"}, r.Flows())

	r, err = NewRouter(config.Flows{Routes: []config.Route{{Number: "5000", Flow: "hotline"}}})
	require.NoError(t, err)
	require.Equal(t, "", r.Flow("1234"), "no default: no flow")
}

func TestRouterRejectsIncompleteRoutes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		route config.Route
		want  string
	}{
		{config.Route{Flow: "x"}, "flows.routes[0]: no number"},
		{config.Route{Number: "1"}, "flows.routes[0] (1): no flow"},
	} {
		_, err := NewRouter(config.Flows{Routes: []config.Route{tc.route}})
		require.ErrorContains(t, err, tc.want)
	}
}
