package docker_test

import (
	"encoding/xml"
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/config"
)

// fsVars are the pre-processor variables of the overlay's vars.xml.
type fsVars struct {
	set    map[string]string // cmd="set": name -> value
	envSet map[string]string // cmd="env-set": name -> environment variable
}

// fsBuiltins are variables FreeSWITCH's core defines before reading any XML.
var fsBuiltins = map[string]bool{
	"local_ip_v4": true, "local_ip_v6": true, "sounds_dir": true, "images_dir": true,
	"base_dir": true, "conf_dir": true, "recordings_dir": true, "storage_dir": true,
	"hostname": true, "switch_serial": true,
}

// xmlNode is any element, for walking a FreeSWITCH XML file.
type xmlNode struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Children []xmlNode  `xml:",any"`
}

func (n xmlNode) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// walk calls f for n and every element below it.
func (n xmlNode) walk(f func(xmlNode)) {
	f(n)
	for _, c := range n.Children {
		c.walk(f)
	}
}

// overlayFiles lists the XML files of the FreeSWITCH overlay.
func overlayFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	require.NoError(t, filepath.WalkDir("freeswitch", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".xml") {
			files = append(files, p)
		}
		return err
	}))
	require.NotEmpty(t, files)
	return files
}

// parseXML strictly parses one file into its root element and its comments.
func parseXML(t *testing.T, path string) (xmlNode, []string) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var root xmlNode
	require.NoError(t, xml.Unmarshal(b, &root), "%s does not parse as XML", path)
	var comments []string
	dec := xml.NewDecoder(strings.NewReader(string(b)))
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err, path)
		if c, ok := tok.(xml.Comment); ok {
			comments = append(comments, string(c))
		}
	}
	return root, comments
}

func loadVars(t *testing.T) fsVars {
	t.Helper()
	root, _ := parseXML(t, "freeswitch/vars.xml")
	v := fsVars{set: map[string]string{}, envSet: map[string]string{}}
	root.walk(func(n xmlNode) {
		if n.XMLName.Local != "X-PRE-PROCESS" {
			return
		}
		name, val, ok := strings.Cut(n.attr("data"), "=")
		require.True(t, ok, "vars.xml: %q is not name=value", n.attr("data"))
		switch n.attr("cmd") {
		case "set":
			v.set[name] = val
		case "env-set":
			require.True(t, strings.HasPrefix(val, "$"), "env-set %s: the value must be $ENV_NAME", name)
			v.envSet[name] = strings.TrimPrefix(val, "$")
		default:
			t.Fatalf("vars.xml: unexpected cmd %q", n.attr("cmd"))
		}
	})
	return v
}

var varRef = regexp.MustCompile(`\$\$\{([^}]+)\}`)

// expand replaces $${name} with the value vars.xml sets (env-set ones with "$ENV").
func (v fsVars) expand(s string) string {
	return varRef.ReplaceAllStringFunc(s, func(m string) string {
		name := varRef.FindStringSubmatch(m)[1]
		if val, ok := v.set[name]; ok {
			return v.expand(val)
		}
		if env, ok := v.envSet[name]; ok {
			return "$" + env
		}
		return m
	})
}

func loadIvrdConfig(t *testing.T) *config.Config {
	t.Helper()
	b, err := os.ReadFile("ivrd.yaml")
	require.NoError(t, err)
	c, err := config.Parse("docker/ivrd.yaml", b)
	require.NoError(t, err)
	return c
}

func port(t *testing.T, addr string) string {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	require.NoError(t, err, addr)
	return p
}

func TestOverlayXMLParsesAndHasNoDirectiveInAComment(t *testing.T) {
	t.Parallel()
	for _, f := range overlayFiles(t) {
		_, comments := parseXML(t, f)
		for _, c := range comments {
			// FreeSWITCH runs pre-process directives even inside comments.
			require.NotContains(t, strings.ToUpper(c), "X-PRE-PROCESS", "%s: a directive in a comment still runs", f)
		}
	}
}

func TestOverlayUsesOnlyVariablesVarsXMLDefines(t *testing.T) {
	t.Parallel()
	v := loadVars(t)
	for _, f := range overlayFiles(t) {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, m := range varRef.FindAllStringSubmatch(string(b), -1) {
			_, set := v.set[m[1]]
			_, env := v.envSet[m[1]]
			require.True(t, set || env || fsBuiltins[m[1]], "%s uses $${%s}, which vars.xml does not define", f, m[1])
		}
	}
}

func TestEventSocketMatchesWhatIvrdDials(t *testing.T) {
	t.Parallel()
	v := loadVars(t)
	root, _ := parseXML(t, "freeswitch/autoload_configs/event_socket.conf.xml")
	params := map[string]string{}
	root.walk(func(n xmlNode) {
		if n.XMLName.Local == "param" {
			params[n.attr("name")] = v.expand(n.attr("value"))
		}
	})
	ivrd := loadIvrdConfig(t)
	require.Len(t, ivrd.FreeSWITCH, 1)
	node := ivrd.FreeSWITCH[0]
	host, p, err := net.SplitHostPort(node.Address)
	require.NoError(t, err)

	require.Equal(t, "0.0.0.0", params["listen-ip"], "ivrd reaches FreeSWITCH over the stack's network")
	require.Equal(t, params["listen-port"], p, "ivrd.yaml freeswitch[0].address must name event_socket's listen-port")
	require.Equal(t, "$"+node.PasswordEnv, params["password"],
		"event_socket's password must come from the variable ivrd reads (password_env)")
	require.Contains(t, loadCompose(t).Services, host, "freeswitch[0].address must name the compose service")

	c := loadCompose(t)
	for _, s := range []string{host, "ivrd"} {
		require.Contains(t, c.Services[s].Environment, node.PasswordEnv, "compose must pass %s to %s", node.PasswordEnv, s)
	}
}

func TestHotlineDialplanSendsCallsToIvrdsOutboundSocket(t *testing.T) {
	t.Parallel()
	v := loadVars(t)
	ivrd := loadIvrdConfig(t)
	hotline := regexp.MustCompile(v.expand("$${hotline_numbers}"))
	for _, f := range []string{"freeswitch/dialplan/default/00_ivrd_hotline.xml", "freeswitch/dialplan/public/00_ivrd_hotline.xml"} {
		root, _ := parseXML(t, f)
		var sockets []string
		var conditions []string
		root.walk(func(n xmlNode) {
			switch {
			case n.XMLName.Local == "action" && n.attr("application") == "socket":
				sockets = append(sockets, v.expand(n.attr("data")))
			case n.XMLName.Local == "condition":
				conditions = append(conditions, v.expand(n.attr("expression")))
			}
		})
		require.Len(t, sockets, 1, f)
		fields := strings.Fields(sockets[0])
		require.Equal(t, []string{"async", "full"}, fields[1:], "%s: socket must be `<addr> async full`", f)
		host, p, err := net.SplitHostPort(fields[0])
		require.NoError(t, err)
		require.Equal(t, "ivrd", host, f)
		require.Contains(t, loadCompose(t).Services, host)
		require.Equal(t, port(t, ivrd.Listen.Outbound), p, "%s: the socket port must be ivrd's listen.outbound", f)
		require.Equal(t, []string{hotline.String()}, conditions, f)
	}
	// Every number ivrd routes to a flow reaches ivrd through the dialplan.
	for _, r := range ivrd.Flows.Routes {
		require.Regexp(t, hotline, r.Number, "route %s in ivrd.yaml is not in vars.xml hotline_numbers", r.Number)
	}
	require.NotRegexp(t, hotline, "1000", "test phones' own extensions must not go to the hotline")
}

func TestRecordingPathIsTheSharedVolume(t *testing.T) {
	t.Parallel()
	v := loadVars(t)
	dir := v.expand("$${ivrd_recordings_dir}")
	mount, ok := loadCompose(t).Services["freeswitch"].mount("recordings")
	require.True(t, ok)
	require.Equal(t, mount, dir, "FreeSWITCH must record into the shared volume")
	require.Equal(t, dir, loadIvrdConfig(t).Recordings.Dir, "ivrd.yaml recordings.dir must be the same folder")
}

func TestCarrierGatewayAndRTPRangeMatchCompose(t *testing.T) {
	t.Parallel()
	v := loadVars(t)
	root, _ := parseXML(t, "freeswitch/sip_profiles/external/carrier.xml")
	var gateways []string
	params := map[string]string{}
	root.walk(func(n xmlNode) {
		switch n.XMLName.Local {
		case "gateway":
			gateways = append(gateways, n.attr("name"))
		case "param":
			params[n.attr("name")] = n.attr("value")
		}
	})
	require.Equal(t, []string{"carrier"}, gateways)
	require.Equal(t, "$CARRIER_PASSWORD", v.expand(params["password"]), "the carrier password comes from the environment")
	opt := commentedEnvKeys(t, "freeswitch.env.example")
	for name, env := range v.envSet {
		switch env {
		case "ESL_PASSWORD", "TEST_PHONE_PASSWORD":
			require.Contains(t, loadCompose(t).Services["freeswitch"].Environment, env, "vars.xml reads %s", env)
		default:
			require.Contains(t, opt, env, "vars.xml reads %s (for %s): document it in freeswitch.env.example", env, name)
		}
	}

	sw, _ := parseXML(t, "freeswitch/autoload_configs/switch.conf.xml")
	sp := map[string]string{}
	sw.walk(func(n xmlNode) {
		if n.XMLName.Local == "param" {
			sp[n.attr("name")] = n.attr("value")
		}
	})
	rtp := sp["rtp-start-port"] + "-" + sp["rtp-end-port"]
	found := false
	for _, p := range loadCompose(t).Services["freeswitch"].Ports {
		if strings.HasSuffix(p, ":"+rtp+":"+rtp+"/udp") {
			found = true
		}
	}
	require.True(t, found, "compose must publish FreeSWITCH's whole RTP range %s/udp", rtp)
}
