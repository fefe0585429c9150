package config

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/esl"
	"github.com/ivrd/ivrd/ivr"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestApplyEnvOverridesValuesByTheirYAMLPath(t *testing.T) {
	t.Parallel()
	c, err := Parse("ivrd.yaml", []byte(`
listen: {outbound: "0.0.0.0:8084", http: "127.0.0.1:8080"}
freeswitch:
  - {name: fs1, address: "fs1:8021", password_env: ESL_PASSWORD}
database: {url: "postgres://localhost/ivrd"}
flows: {dir: flows, default: hotline, routes: [{number: "5000", flow: hotline}]}
queues:
  cards: {agents: [user/1001]}
`))
	require.NoError(t, err)
	env := envOf(map[string]string{
		"IVRD_LISTEN_HTTP":               "0.0.0.0:9090",
		"IVRD_DATABASE_URL":              "postgres://db.internal/ivrd",
		"IVRD_FREESWITCH_0_PASSWORD":     "s3cret",
		"IVRD_FREESWITCH_0_PASSWORD_ENV": "", // empty: no change
		"IVRD_FLOWS_ROUTES_0_NUMBER":     "+15550000",
		"IVRD_QUEUES_CARDS_AGENTS":       "user/1001, user/1002,",
	})
	require.NoError(t, ApplyEnv(c, env))
	require.Equal(t, "0.0.0.0:9090", c.Listen.HTTP)
	require.Equal(t, "0.0.0.0:8084", c.Listen.Outbound, "values without a variable stay")
	require.Equal(t, "postgres://db.internal/ivrd", c.Database.URL)
	require.Equal(t, "s3cret", c.FreeSWITCH[0].Password)
	require.Equal(t, "ESL_PASSWORD", c.FreeSWITCH[0].PasswordEnv)
	require.Equal(t, "+15550000", c.Flows.Routes[0].Number)
	require.Equal(t, []string{"user/1001", "user/1002"}, c.Queues["cards"].Agents)
}

func TestApplyEnvAddsListElementsAfterTheLastOne(t *testing.T) {
	t.Parallel()
	c := &Config{FreeSWITCH: []esl.Node{{Name: "fs1", Address: "fs1:8021"}}}
	env := envOf(map[string]string{
		"IVRD_FREESWITCH_1_NAME":    "fs2",
		"IVRD_FREESWITCH_1_ADDRESS": "fs2:8021",
		"IVRD_FREESWITCH_2_ADDRESS": "fs3:8021",
		"IVRD_FREESWITCH_4_ADDRESS": "fs5:8021", // index 3 missing: not added
	})
	require.NoError(t, ApplyEnv(c, env))
	require.Equal(t, []esl.Node{
		{Name: "fs1", Address: "fs1:8021"},
		{Name: "fs2", Address: "fs2:8021"},
		{Address: "fs3:8021"},
	}, c.FreeSWITCH)
}

func TestApplyEnvLeavesAConfigAloneWithoutVariables(t *testing.T) {
	t.Parallel()
	c, err := Parse("default.yaml", DefaultYAML())
	require.NoError(t, err)
	before, _ := Parse("default.yaml", DefaultYAML())
	require.NoError(t, ApplyEnv(c, envOf(nil)))
	require.Equal(t, before, c)
}

type envSample struct {
	Name        string            `yaml:"name"`
	Timeout     time.Duration     `yaml:"timeout"`
	Retries     int               `yaml:"max-retries"`
	Ratio       float64           `yaml:"ratio"`
	Enabled     bool              `yaml:"enabled"`
	Port        uint16            `yaml:"port"`
	Limit       *int              `yaml:"limit"`
	Inner       *envInner         `yaml:"inner"`
	Untagged    string            // goccy/go-yaml key: "untagged"
	Hidden      string            `yaml:"-"`
	Labels      map[string]string `yaml:"labels"`
	Calendar    map[string]*ivr.QueueConfig
	envEmbedded `yaml:",inline"`
}

type envInner struct {
	Level string `yaml:"level"`
}

type envEmbedded struct {
	Zone string `yaml:"zone"`
}

func TestApplyEnvParsesEveryScalarKind(t *testing.T) {
	t.Parallel()
	var s envSample
	s.Labels = map[string]string{"team-a": "x"}
	env := envOf(map[string]string{
		"T_NAME": "n", "T_TIMEOUT": "1m30s", "T_MAX_RETRIES": "7", "T_RATIO": "0.25",
		"T_ENABLED": "true", "T_PORT": "5060", "T_LIMIT": "3", "T_INNER_LEVEL": "debug",
		"T_UNTAGGED": "u", "T_HIDDEN": "h", "T_LABELS_TEAM_A": "y", "T_ZONE": "Europe/Paris",
	})
	require.NoError(t, applyEnv(&s, "T", env))
	three := 3
	require.Equal(t, envSample{
		Name: "n", Timeout: 90 * time.Second, Retries: 7, Ratio: 0.25, Enabled: true, Port: 5060,
		Limit: &three, Inner: &envInner{Level: "debug"}, Untagged: "u",
		Labels: map[string]string{"team-a": "y"}, envEmbedded: envEmbedded{Zone: "Europe/Paris"},
	}, s)
}

func TestApplyEnvRejectsValuesThatDoNotParseNamingTheVariable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, variable, value, want string
	}{
		{"a duration without unit", "T_TIMEOUT", "30", "T_TIMEOUT (timeout): \"30\" is not a duration: write it like 30s"},
		{"a word for a number", "T_MAX_RETRIES", "three", "T_MAX_RETRIES (max-retries): \"three\" is not an integer"},
		{"a port out of range", "T_PORT", "70000", "T_PORT (port)"},
		{"yes for a boolean", "T_ENABLED", "yes please", "write true or false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var s envSample
			err := applyEnv(&s, "T", envOf(map[string]string{tt.variable: tt.value}))
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestEnvVarsListsTheVariablesOfAConfig(t *testing.T) {
	t.Parallel()
	c := &Config{FreeSWITCH: []esl.Node{{Name: "fs1"}}, Queues: map[string]*ivr.QueueConfig{"cards": {}}}
	byName := map[string]EnvVar{}
	for _, v := range EnvVars(c) {
		byName[v.Name] = v
	}
	require.Equal(t, EnvVar{Name: "IVRD_LISTEN_HTTP", Path: "listen.http", Type: "string"}, byName["IVRD_LISTEN_HTTP"])
	require.Equal(t, "freeswitch.0.password_file", byName["IVRD_FREESWITCH_0_PASSWORD_FILE"].Path)
	require.Equal(t, "list of string (comma-separated)", byName["IVRD_QUEUES_CARDS_AGENTS"].Type)
	require.Contains(t, byName, "IVRD_DATABASE_URL_FILE")
}

func TestEnvNameUpperCasesAndReplacesPunctuation(t *testing.T) {
	t.Parallel()
	require.Equal(t, "PASSWORD_FILE", EnvName("password_file"))
	require.Equal(t, "MAX_RETRIES", EnvName("max-retries"))
	require.Equal(t, "CARDS_GOLD", EnvName("cards.gold"))
}

func TestEnvVarsSkipsSectionsWithTheirOwnYAMLSyntax(t *testing.T) {
	t.Parallel()
	c, err := Parse("default.yaml", DefaultYAML())
	require.NoError(t, err)
	require.NotEmpty(t, c.Calendars, "the default config has a calendar to skip")
	for _, v := range EnvVars(c) {
		require.False(t, strings.HasPrefix(v.Name, "IVRD_CALENDARS_"), "%s names a Go field of ivr.Calendar, not a YAML key", v.Name)
	}
}
