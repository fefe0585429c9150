package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// checkBundle is a folder with a flows/ dir holding hotline.yaml and a secret file.
type checkBundle struct {
	dir string
}

func setupCheck(t *testing.T) *checkBundle {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "flows"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "flows", "hotline.yaml"), []byte("flow: hotline\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "esl.secret"), []byte("ClueCon\n"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "empty.secret"), nil, 0o600))
	return &checkBundle{dir: dir}
}

func (b *checkBundle) check(t *testing.T, src string, env map[string]string) []Problem {
	t.Helper()
	c, err := Parse("ivrd.yaml", []byte(src))
	require.NoError(t, err)
	return Check(c, CheckOptions{Getenv: envOf(env), BaseDir: b.dir, Name: "ivrd.yaml", Source: []byte(src)})
}

const goodConfig = `listen:
  outbound: 0.0.0.0:8084
  http: 127.0.0.1:8080
freeswitch:
  - name: fs1
    address: freeswitch:8021
    password_env: ESL_PASSWORD
  - name: fs2
    address: 10.0.0.7:8021
    password_file: esl.secret
database:
  url: postgres://ivrd@postgres:5432/ivrd?sslmode=disable
flows:
  dir: flows
  default: hotline
  routes:
    - number: "5000"
      flow: hotline
queues:
  cards:
    agents: [user/1001, sofia/gateway/carrier/15551234]
`

func TestCheckAcceptsAGoodConfig(t *testing.T) {
	t.Parallel()
	b := setupCheck(t)
	ps := b.check(t, goodConfig, map[string]string{"ESL_PASSWORD": "x"})
	require.Empty(t, ps)
}

func TestCheckFindsEachMistakeAndSaysWhereAndWhatToDo(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		from    string // replaced in goodConfig ...
		to      string // ... by this
		env     map[string]string
		wantPos string
		want    string
	}{
		{"an http address without port", "http: 127.0.0.1:8080", "http: 127.0.0.1", nil,
			"ivrd.yaml:3:9", "listen.http: \"127.0.0.1\" is not host:port"},
		{"a port out of range", "outbound: 0.0.0.0:8084", "outbound: 0.0.0.0:80840", nil,
			"ivrd.yaml:2:13", "listen.outbound: port \"80840\""},
		{"the same port twice", "http: 127.0.0.1:8080", "http: 0.0.0.0:8084", nil,
			"ivrd.yaml:3:9", "same address as listen.outbound"},
		{"a password variable that is not set", "", "", map[string]string{},
			"ivrd.yaml:7:19", "freeswitch[0].password_env: environment variable ESL_PASSWORD is not set"},
		{"a missing password file", "password_file: esl.secret", "password_file: nope.secret", nil,
			"ivrd.yaml:10:20", "file nope.secret does not exist"},
		{"an empty password file", "password_file: esl.secret", "password_file: empty.secret", nil,
			"ivrd.yaml:10:20", "file empty.secret is empty"},
		{"a node without any password", "    password_file: esl.secret\n", "", nil,
			"ivrd.yaml:8:9", "freeswitch[1].password: missing: the event_socket password"},
		{"two nodes with one name", "name: fs2", "name: fs1", nil,
			"ivrd.yaml:8:11", "\"fs1\" is also the name of freeswitch[0]"},
		{"a database URL of another kind", "url: postgres://", "url: mysql://", nil,
			"ivrd.yaml:12:8", "scheme \"mysql\""},
		{"a route to a flow that does not exist", "flow: hotline", "flow: hotlien", nil,
			"ivrd.yaml:18:13", "no flow file hotlien.yaml in flows"},
		{"a flows folder that does not exist", "dir: flows", "dir: flow", nil,
			"ivrd.yaml:14:8", "folder flow: no such file or directory"},
		{"an agent that is not an endpoint", "user/1001", "1001", nil,
			"ivrd.yaml:21:14", "queues.cards.agents[0]: agent \"1001\": write a FreeSWITCH endpoint such as user/1001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setupCheck(t)
			src := strings.Replace(goodConfig, tt.from, tt.to, 1)
			env := tt.env
			if env == nil {
				env = map[string]string{"ESL_PASSWORD": "x"}
			}
			ps := b.check(t, src, env)
			require.Len(t, ps, 1, "%v", ps)
			require.True(t, HasErrors(ps))
			require.Equal(t, tt.wantPos, ps[0].Pos, ps[0].String())
			require.Contains(t, ps[0].String(), tt.want)
		})
	}
}

func TestCheckNeverPrintsTheDatabasePassword(t *testing.T) {
	t.Parallel()
	b := setupCheck(t)
	src := strings.Replace(goodConfig, "url: postgres://ivrd@postgres", "url: mysql://ivrd:hunter2@postgres", 1)
	ps := b.check(t, src, map[string]string{"ESL_PASSWORD": "x"})
	require.NotEmpty(t, ps)
	for _, p := range ps {
		require.NotContains(t, p.String(), "hunter2")
	}
}

func TestCheckWarnsButAcceptsTheDemoDefault(t *testing.T) {
	t.Parallel()
	c, err := Parse("default.yaml", DefaultYAML())
	require.NoError(t, err)
	ps := Check(c, CheckOptions{Getenv: envOf(nil), BaseDir: "..", Name: "default.yaml", Source: DefaultYAML()})
	require.False(t, HasErrors(ps), "%v", ps)
	require.NotEmpty(t, ps, "no FreeSWITCH node and no database deserve a warning")
}

type sectionWithRules struct {
	Limit int `yaml:"limit"`
}

func (s sectionWithRules) Validate() error {
	if s.Limit < 0 {
		return errorsJoin("limit must not be negative", "limit must be set")
	}
	return nil
}

func errorsJoin(msgs ...string) error {
	var errs []error
	for _, m := range msgs {
		errs = append(errs, simpleError(m))
	}
	return joinErrors(errs)
}

type simpleError string

func (e simpleError) Error() string { return string(e) }

type joined []error

func (j joined) Error() string   { return "joined" }
func (j joined) Unwrap() []error { return j }

func joinErrors(errs []error) error { return joined(errs) }

func TestCheckCallsDomainValidatorsPerJoinedError(t *testing.T) {
	t.Parallel()
	k := &checker{opts: CheckOptions{Name: "x.yaml"}}
	type root struct {
		Sections map[string]sectionWithRules `yaml:"sections"`
	}
	r := root{Sections: map[string]sectionWithRules{"a": {Limit: 1}, "b": {Limit: -1}}}
	k.validators(reflectValue(&r), nil)
	require.Len(t, k.problems, 2)
	require.Equal(t, "sections.b", k.problems[0].Path)
	require.Equal(t, "limit must not be negative", k.problems[0].Msg)
	require.Equal(t, "limit must be set", k.problems[1].Msg)
}

func TestCheckFindsMissingSecretsInDomainSections(t *testing.T) {
	t.Parallel()
	b := setupCheck(t)
	src := goodConfig + `sms:
  gateway: kannel
  from: "+15550100"
  kannel:
    send_url: http://kannel:13013/cgi-bin/sendsms
    username: ivrd
    password_env: KANNEL_SENDSMS_PASSWORD
`
	ps := b.check(t, src, map[string]string{"ESL_PASSWORD": "x"})
	require.Len(t, ps, 1, "%v", ps)
	require.Equal(t, "ivrd.yaml:28:19", ps[0].Pos)
	require.Contains(t, ps[0].String(), "warning: sms.kannel.password_env: environment variable KANNEL_SENDSMS_PASSWORD is not set")

	ps = b.check(t, src, map[string]string{"ESL_PASSWORD": "x", "KANNEL_SENDSMS_PASSWORD": "y"})
	require.Empty(t, ps)
}
