package docker_test

import (
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/config"
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/sms"
)

// stackEnv is the environment compose gives ivrd, with the secrets filled in as an operator
// would, and the flows folder pointed at the repository's (the image has it at /etc/ivrd/flows).
func stackEnv(t *testing.T) map[string]string {
	t.Helper()
	env := map[string]string{}
	for k, v := range loadCompose(t).Services["ivrd"].Environment {
		if m := interpolation.FindStringSubmatch(v); m != nil {
			v = "secret-for-" + m[1]
		}
		env[k] = v
	}
	abs, err := filepath.Abs("../flows")
	require.NoError(t, err)
	env["IVRD_FLOWS_DIR"] = abs
	return env
}

func TestIvrdConfigOfTheStackPassesConfigCheck(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("ivrd.yaml")
	require.NoError(t, err)
	c, err := config.Parse("docker/ivrd.yaml", src)
	require.NoError(t, err, "docker/ivrd.yaml must decode strictly")
	env := stackEnv(t)
	getenv := func(k string) string { return env[k] }
	require.NoError(t, config.ApplyEnv(c, getenv))
	ps := config.Check(c, config.CheckOptions{Getenv: getenv, Name: "docker/ivrd.yaml", Source: src})
	require.Empty(t, ps, "docker/ivrd.yaml with the stack's environment must check clean")
	require.Equal(t, "flows", filepath.Base(c.Flows.Dir), "IVRD_FLOWS_DIR overrides flows.dir")
}

func TestIvrdConfigFindsEachServiceOfTheStack(t *testing.T) {
	t.Parallel()
	c := loadIvrdConfig(t)
	services := loadCompose(t).Services
	db, err := url.Parse(c.Database.URL)
	require.NoError(t, err)
	require.Contains(t, services, db.Hostname())
	require.Empty(t, db.User.String()[len("ivrd"):], "no password in the URL: it comes from PGPASSWORD")
	require.Equal(t, "ivrd", db.User.Username())
	require.Equal(t, "ivrd", services["postgres"].Environment["POSTGRES_USER"])
	require.Equal(t, "/ivrd", db.Path)
	require.Equal(t, "ivrd", services["postgres"].Environment["POSTGRES_DB"])
	require.Equal(t, services["postgres"].Environment["POSTGRES_PASSWORD"], services["ivrd"].Environment["PGPASSWORD"])
	require.Equal(t, "8080", port(t, c.Listen.HTTP))
	found := false
	for _, p := range services["ivrd"].Ports {
		found = found || strings.HasSuffix(p, ":8080:8080")
	}
	require.True(t, found, "compose must publish ivrd's listen.http")
}

func TestKannelConfigAgreesWithIvrd(t *testing.T) {
	t.Parallel()
	c := loadIvrdConfig(t)
	b, err := os.ReadFile("kannel/kannel.conf.in")
	require.NoError(t, err)
	groups := parseKannelConf(t, string(b))
	one := func(name string) map[string]string {
		t.Helper()
		require.Len(t, groups[name], 1, "kannel.conf.in must have one %s group", name)
		return groups[name][0]
	}

	send, err := url.Parse(c.SMS.Kannel.SendURL)
	require.NoError(t, err)
	require.Equal(t, "kannel", send.Hostname())
	require.Contains(t, loadCompose(t).Services, "kannel")
	require.Equal(t, one("smsbox")["sendsms-port"], send.Port())
	require.Equal(t, "/cgi-bin/sendsms", send.Path)

	user := one("sendsms-user")
	require.Equal(t, c.SMS.Kannel.Username, user["username"])
	require.Equal(t, "${"+c.SMS.Kannel.PasswordEnv+"}", user["password"], "Kannel and ivrd must read one variable")
	for _, s := range []string{"kannel", "ivrd"} {
		require.Contains(t, loadCompose(t).Services[s].Environment, c.SMS.Kannel.PasswordEnv)
	}
	require.Equal(t, "${KANNEL_ADMIN_PASSWORD}", one("core")["admin-password"])

	get, err := url.Parse(one("sms-service")["get-url"])
	require.NoError(t, err)
	require.Equal(t, "ivrd", get.Hostname())
	require.Equal(t, port(t, c.Listen.HTTP), get.Port())
	require.Equal(t, sms.PathKannelInbound, get.Path)
	for _, q := range []string{"id=%I", "from=%p", "to=%P", "text=%b"} {
		require.Contains(t, get.RawQuery, q, "get-url must pass %s", q)
	}
	dlr, err := url.Parse(c.SMS.Kannel.DLRURL)
	require.NoError(t, err)
	require.Equal(t, sms.PathKannelDLR, dlr.Path)
	require.Equal(t, "ivrd", dlr.Hostname())
}

// parseKannelConf reads kannel.conf groups: blank-line separated "key = value" blocks.
func parseKannelConf(t *testing.T, s string) map[string][]map[string]string {
	t.Helper()
	groups := map[string][]map[string]string{}
	var cur map[string]string
	line := regexp.MustCompile(`^([a-z0-9-]+)\s*=\s*(.*)$`)
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		m := line.FindStringSubmatch(l)
		require.NotNil(t, m, "kannel.conf.in: %q is not key = value", l)
		v := strings.Trim(m[2], `"`)
		if m[1] == "group" {
			cur = map[string]string{}
			groups[v] = append(groups[v], cur)
			continue
		}
		require.NotNil(t, cur, "kannel.conf.in: %q before any group", l)
		cur[m[1]] = v
	}
	return groups
}

// TestShippedFlowsLoadWithTheStacksConfig lints flows/ against docker/ivrd.yaml's calendars,
// queues and SMS templates, as `ivrd flows lint --config docker/ivrd.yaml flows/` does.
func TestShippedFlowsLoadWithTheStacksConfig(t *testing.T) {
	t.Parallel()
	c := loadIvrdConfig(t)
	cat := &ivr.Catalog{Calendars: map[string]*ivr.Calendar{}, Flows: map[string]bool{}}
	for name, cal := range c.Calendars {
		cat.Calendars[name] = cal
	}
	if len(c.Queues) > 0 {
		cat.Queues = map[string]bool{}
		for name := range c.Queues {
			cat.Queues[name] = true
		}
	}
	if len(c.SMS.Templates) > 0 {
		cat.Templates = map[string]bool{}
		for name := range c.SMS.Templates {
			cat.Templates[name] = true
		}
	}
	ents, err := os.ReadDir("../flows")
	require.NoError(t, err)
	for _, e := range ents {
		if n := e.Name(); strings.HasSuffix(n, ".yaml") && !ivr.IsScenarioFile(n) {
			cat.Flows[strings.TrimSuffix(n, ".yaml")] = true
		}
	}
	set, ds := ivr.LoadFiles(cat, "../flows")
	require.Zero(t, ds.Count(ivr.SevError), "flows/ does not load with docker/ivrd.yaml:\n%v", ds)
	require.NotNil(t, set)
	for _, r := range c.Flows.Routes {
		require.True(t, cat.Flows[r.Flow], "route %s goes to flow %s, which flows/ lacks", r.Number, r.Flow)
	}
}
