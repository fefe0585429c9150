// Package config loads ivrd's one operator config file (ivrd.yaml): FreeSWITCH nodes, database,
// listeners, flow routes, calendars, queues, SMS gateways and templates, callbacks, follow-up
// rules and QA.
//
// Each domain package owns the type of its own section (ivr.Calendar, sms.Config, ...); this
// package only composes them, decodes strictly (unknown keys are errors with file:line:col)
// and applies defaults. Without a file, the embedded default.yaml is used: it is what
// `ivrd demo` runs with.
package config

import (
	"bytes"
	_ "embed"
	"fmt"
	"os"

	"github.com/goccy/go-yaml"

	"github.com/ivrd/ivrd/callback"
	"github.com/ivrd/ivrd/esl"
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/recordings"
	"github.com/ivrd/ivrd/sms"
)

//go:embed default.yaml
var defaultYAML []byte

// DefaultYAML returns the embedded default config, the one `ivrd demo` uses.
func DefaultYAML() []byte { return bytes.Clone(defaultYAML) }

// Config is the whole of ivrd.yaml.
type Config struct {
	Listen     Listen                      `yaml:"listen"`
	FreeSWITCH []esl.Node                  `yaml:"freeswitch"`
	Database   Database                    `yaml:"database"`
	Flows      Flows                       `yaml:"flows"`
	Calendars  map[string]*ivr.Calendar    `yaml:"calendars"`
	Queues     map[string]*ivr.QueueConfig `yaml:"queues"`
	SMS        sms.Config                  `yaml:"sms"`
	Callbacks  callback.Config             `yaml:"callbacks"`
	Recordings recordings.Config           `yaml:"recordings"`

	// Path is the file the config came from ("" for the embedded default).
	Path string `yaml:"-"`
}

// Listen holds the addresses ivrd listens on.
type Listen struct {
	// Outbound is where FreeSWITCH's `socket <addr> async full` connects, e.g. "0.0.0.0:8084".
	Outbound string `yaml:"outbound"`
	// HTTP serves webhooks, the API, /metrics, /healthz, /readyz and the status page.
	HTTP string `yaml:"http"`
}

// Database says where PostgreSQL is. An empty URL in `ivrd demo` starts a private cluster.
type Database struct {
	URL     string `yaml:"url"`
	URLFile string `yaml:"url_file"`
}

// Flows says where the flow files are and which flow answers which called number.
type Flows struct {
	Dir    string  `yaml:"dir"`
	Routes []Route `yaml:"routes"`
	// Default is the flow for called numbers no route matches.
	Default string `yaml:"default"`
}

// Route sends calls to a called number (or a prefix ending in '*') to a flow.
type Route struct {
	Number string `yaml:"number"`
	Flow   string `yaml:"flow"`
}

// Load reads the config at path, or the embedded default when path is "".
func Load(path string) (*Config, error) {
	data := defaultYAML
	name := "default.yaml (embedded)"
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read config: %w (pass --config with the path of your ivrd.yaml)", err)
		}
		data, name = b, path
	}
	c, err := Parse(name, data)
	if err != nil {
		return nil, err
	}
	c.Path = path
	return c, nil
}

// Parse decodes a config strictly: unknown keys and wrong types are errors naming name:line:col.
func Parse(name string, data []byte) (*Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(data), yaml.Strict())
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%s: %s", name, yaml.FormatError(err, false, true))
	}
	return &c, nil
}
