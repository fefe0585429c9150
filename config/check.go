package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// Severity says whether a Problem stops ivrd from starting.
type Severity string

const (
	SeverityError   Severity = "error"   // ivrd serve refuses the config
	SeverityWarning Severity = "warning" // ivrd runs, but probably not as intended
)

// Problem is one thing wrong with a config: where, and what to do about it.
type Problem struct {
	Severity Severity
	Path     string // YAML path of the value, e.g. freeswitch[0].password_env
	Pos      string // "file:line:col" of the value (or of the nearest enclosing key)
	Msg      string
}

func (p Problem) String() string {
	return fmt.Sprintf("%s: %s: %s: %s", p.Pos, p.Severity, p.Path, p.Msg)
}

// CheckOptions tell Check about the world around the config.
type CheckOptions struct {
	// Getenv reads environment variables named by *_env keys (os.Getenv in the CLI).
	Getenv func(string) string
	// BaseDir resolves relative paths (flows.dir, *_file); "" is the working directory, as
	// for the daemon.
	BaseDir string
	// Name and Source are the config's file name and text, to give problems a line and column.
	Name   string
	Source []byte
}

// Validator is implemented by domain config sections (sms.Config, ivr.QueueConfig...) that
// can check themselves; Check calls it for every section and map entry that has it. Each
// error becomes one problem at the section's path; an error made with errors.Join becomes
// one problem per joined error.
type Validator interface {
	Validate() error
}

// Check runs the semantic checks that strict decoding cannot: addresses parse, every
// FreeSWITCH node has a secret that is actually there, the database URL is usable, flow files
// exist. It returns the problems in config order; none means the config is good.
func Check(c *Config, opts CheckOptions) []Problem {
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	k := &checker{opts: opts}
	if len(opts.Source) > 0 {
		if f, err := parser.ParseBytes(opts.Source, 0); err == nil {
			k.file = f
		}
	}
	k.listen(c)
	k.freeswitch(c)
	k.database(c)
	k.flows(c)
	k.queues(c)
	k.secretRefs(reflect.ValueOf(c).Elem(), nil)
	k.validators(reflect.ValueOf(c).Elem(), nil)
	return k.problems
}

// HasErrors reports whether any problem is an error (not only warnings).
func HasErrors(ps []Problem) bool {
	return slices.ContainsFunc(ps, func(p Problem) bool { return p.Severity == SeverityError })
}

type checker struct {
	opts     CheckOptions
	file     *ast.File
	problems []Problem
}

// seg is one step of a YAML path: a string key or an int index.
type seg = any

func (k *checker) add(sev Severity, path []seg, format string, args ...any) {
	k.problems = append(k.problems, Problem{
		Severity: sev,
		Path:     pathString(path),
		Pos:      k.locate(path),
		Msg:      fmt.Sprintf(format, args...),
	})
}

func (k *checker) errorf(path []seg, format string, args ...any) {
	k.add(SeverityError, path, format, args...)
}

func (k *checker) warnf(path []seg, format string, args ...any) {
	k.add(SeverityWarning, path, format, args...)
}

func pathString(path []seg) string {
	var b strings.Builder
	for _, s := range path {
		switch s := s.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", s)
		default:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			fmt.Fprint(&b, s)
		}
	}
	return b.String()
}

// locate finds the line and column of path in the source, or of the nearest enclosing value
// that is written there (a missing key is reported where its parent is).
func (k *checker) locate(path []seg) string {
	name := k.opts.Name
	if name == "" {
		name = "ivrd.yaml"
	}
	if k.file == nil {
		return name
	}
	for n := len(path); n > 0; n-- {
		b := (&yaml.PathBuilder{}).Root()
		for _, s := range path[:n] {
			switch s := s.(type) {
			case int:
				b = b.Index(uint(s))
			default:
				b = b.Child(fmt.Sprint(s))
			}
		}
		node, err := b.Build().FilterFile(k.file)
		if err != nil || node == nil || node.GetToken() == nil {
			continue
		}
		pos := node.GetToken().Position
		return fmt.Sprintf("%s:%d:%d", name, pos.Line, pos.Column)
	}
	return name
}

func (k *checker) resolve(p string) string {
	if filepath.IsAbs(p) || k.opts.BaseDir == "" {
		return p
	}
	return filepath.Join(k.opts.BaseDir, p)
}

// hostPort checks a listen or dial address written host:port.
func hostPort(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port (write it like 127.0.0.1:8080, or 0.0.0.0:8080 for every interface)", addr)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("port %q in %q is not a number from 1 to 65535", port, addr)
	}
	if strings.ContainsAny(host, " /\\") {
		return fmt.Errorf("host %q in %q is not a host name or IP address", host, addr)
	}
	return nil
}

func (k *checker) listen(c *Config) {
	for _, l := range []struct {
		key, val, what string
	}{
		{"outbound", c.Listen.Outbound, "FreeSWITCH's `socket <addr> async full` connects here"},
		{"http", c.Listen.HTTP, "webhooks, /metrics, /healthz and the status page are served here"},
	} {
		path := []seg{"listen", l.key}
		if l.val == "" {
			k.errorf(path, "missing: %s; set it, e.g. 0.0.0.0:8084 / 127.0.0.1:8080", l.what)
			continue
		}
		if err := hostPort(l.val); err != nil {
			k.errorf(path, "%v", err)
		}
	}
	if c.Listen.Outbound != "" && c.Listen.Outbound == c.Listen.HTTP {
		k.errorf([]seg{"listen", "http"}, "same address as listen.outbound (%s): give each its own port", c.Listen.HTTP)
	}
}

func (k *checker) freeswitch(c *Config) {
	if len(c.FreeSWITCH) == 0 {
		k.warnf([]seg{"freeswitch"}, "no FreeSWITCH node: ivrd can answer calls FreeSWITCH sends to listen.outbound, but cannot originate callbacks; add a node with name, address and password_env")
	}
	seen := map[string]int{}
	for i, n := range c.FreeSWITCH {
		at := func(key string) []seg { return []seg{"freeswitch", i, key} }
		switch {
		case n.Name == "":
			k.errorf(at("name"), "missing: name each node (e.g. fs1): metrics and logs use it")
		default:
			if j, dup := seen[n.Name]; dup {
				k.errorf(at("name"), "%q is also the name of freeswitch[%d]: names must be unique", n.Name, j)
			}
			seen[n.Name] = i
		}
		if n.Address == "" {
			k.errorf(at("address"), "missing: the node's event socket, host:port (FreeSWITCH listens on 8021 by default)")
		} else if err := hostPort(n.Address); err != nil {
			k.errorf(at("address"), "%v", err)
		}
		k.secret(at, "password", n.Password, n.PasswordEnv, n.PasswordFile,
			"the event_socket password (event_socket.conf.xml on that FreeSWITCH)")
	}
}

// secret checks a value given by exactly one of key, key_env, key_file.
func (k *checker) secret(at func(string) []seg, key, inline, env, file, what string) {
	set := 0
	for _, v := range []string{inline, env, file} {
		if v != "" {
			set++
		}
	}
	switch {
	case set == 0:
		k.errorf(at(key), "missing: %s; set %s_env to the name of an environment variable holding it (or %s_file)", what, key, key)
		return
	case set > 1:
		k.errorf(at(key), "more than one of %s, %s_env and %s_file is set: keep one", key, key, key)
		return
	}
	switch {
	case env != "":
		if k.opts.Getenv(env) == "" {
			k.errorf(at(key+"_env"), "environment variable %s is not set or empty: export it (or put it in the env file) before starting ivrd", env)
		}
	case file != "":
		k.secretFile(at(key+"_file"), file)
	default:
		k.warnf(at(key), "a secret written in the config file: prefer %s_env or %s_file so it stays out of files you share", key, key)
	}
}

func (k *checker) secretFile(path []seg, file string) {
	b, err := os.ReadFile(k.resolve(file))
	switch {
	case errors.Is(err, os.ErrNotExist):
		k.errorf(path, "file %s does not exist: create it, or fix the path (relative paths start at the working directory)", file)
	case err != nil:
		k.errorf(path, "cannot read %s: %v", file, err)
	case strings.TrimSpace(string(b)) == "":
		k.errorf(path, "file %s is empty: write the secret in it", file)
	}
}

func (k *checker) database(c *Config) {
	d := c.Database
	switch {
	case d.URL != "" && d.URLFile != "":
		k.errorf([]seg{"database", "url"}, "both url and url_file are set: keep one")
	case d.URL != "":
		k.databaseURL([]seg{"database", "url"}, d.URL)
	case d.URLFile != "":
		k.secretFile([]seg{"database", "url_file"}, d.URLFile)
		if b, err := os.ReadFile(k.resolve(d.URLFile)); err == nil && strings.TrimSpace(string(b)) != "" {
			k.databaseURL([]seg{"database", "url_file"}, strings.TrimSpace(string(b)))
		}
	default:
		k.warnf([]seg{"database"}, "no database url: `ivrd demo` starts its own PostgreSQL, but `ivrd serve` needs one; set database.url or IVRD_DATABASE_URL (postgres://user@host:5432/ivrd)")
	}
}

// databaseURL checks a PostgreSQL connection string without echoing it (it may hold a password).
func (k *checker) databaseURL(path []seg, s string) {
	if !strings.Contains(s, "://") {
		if !strings.Contains(s, "=") {
			k.errorf(path, "not a PostgreSQL connection string: write postgres://user@host:5432/dbname (or host=... dbname=...)")
		}
		return
	}
	u, err := url.Parse(s)
	if err != nil {
		k.errorf(path, "not a valid URL (check for unescaped characters in the password: %%-encode them)")
		return
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		k.errorf(path, "scheme %q: write postgres://user@host:5432/dbname", u.Scheme)
	}
	if u.Host == "" && u.Query().Get("host") == "" {
		k.errorf(path, "no host: write postgres://user@host:5432/dbname")
	}
}

// flowFile returns the path of flow name in dir, or "" if there is none.
func (k *checker) flowFile(dir, name string) string {
	for _, ext := range []string{".yaml", ".yml"} {
		p := filepath.Join(k.resolve(dir), name+ext)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	return ""
}

func (k *checker) flows(c *Config) {
	f := c.Flows
	if f.Dir == "" {
		k.errorf([]seg{"flows", "dir"}, "missing: the folder holding the flow files (e.g. flows)")
		return
	}
	st, err := os.Stat(k.resolve(f.Dir))
	switch {
	case err != nil:
		k.errorf([]seg{"flows", "dir"}, "folder %s: %v (relative paths start at the working directory)", f.Dir, errors.Unwrap(err))
		return
	case !st.IsDir():
		k.errorf([]seg{"flows", "dir"}, "%s is a file, not a folder of flows", f.Dir)
		return
	}
	check := func(path []seg, name string) {
		if name == "" {
			k.errorf(path, "missing: the name of a flow file in %s (without .yaml)", f.Dir)
		} else if k.flowFile(f.Dir, name) == "" {
			k.errorf(path, "no flow file %s.yaml in %s: create it or fix the name", name, f.Dir)
		}
	}
	for i, r := range f.Routes {
		if r.Number == "" {
			k.errorf([]seg{"flows", "routes", i, "number"}, "missing: the called number (e.g. \"5000\" or a prefix like \"+3120*\")")
		} else if strings.Contains(strings.TrimSuffix(r.Number, "*"), "*") {
			k.errorf([]seg{"flows", "routes", i, "number"}, "%q: '*' may only end a prefix", r.Number)
		}
		check([]seg{"flows", "routes", i, "flow"}, r.Flow)
	}
	if f.Default != "" {
		check([]seg{"flows", "default"}, f.Default)
	} else if len(f.Routes) == 0 {
		k.warnf([]seg{"flows"}, "no route and no default flow: every call will be refused; set flows.default")
	}
}

func (k *checker) queues(c *Config) {
	names := make([]string, 0, len(c.Queues))
	for n := range c.Queues {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		q := c.Queues[n]
		if q == nil || len(q.Agents) == 0 {
			k.warnf([]seg{"queues", n}, "queue %s has no agents: callers will wait until they give up", n)
			continue
		}
		// The agents themselves are checked by ivr.QueueConfig.Validate (see validators),
		// which says where with FieldPath: checking them here too reported each bad agent twice.
	}
}

// secretRefs checks every *_env and *_file value in the domain sections (sms, callbacks,
// recordings...): the variable should be set, the file should hold something. These are
// warnings, as Check cannot know whether the feature is in use (a Kannel password with the
// console gateway); freeswitch and database are checked above as errors.
func (k *checker) secretRefs(v reflect.Value, path []seg) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			k.secretRefs(v.Elem(), path)
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			key, inline, skip := yamlKey(f)
			if skip || !f.IsExported() {
				continue
			}
			if len(path) == 0 && (key == "freeswitch" || key == "database") {
				continue
			}
			p := path
			if !inline {
				p = append(slices.Clone(path), key)
			}
			fv := v.Field(i)
			if fv.Kind() == reflect.String && fv.String() != "" {
				switch {
				case strings.HasSuffix(key, "_env"):
					if k.opts.Getenv(fv.String()) == "" {
						k.warnf(p, "environment variable %s is not set or empty: whatever uses it will fail; export it (or put it in the env file) before starting ivrd", fv.String())
					}
				case strings.HasSuffix(key, "_file"):
					n := len(k.problems)
					k.secretFile(p, fv.String())
					for i := n; i < len(k.problems); i++ {
						k.problems[i].Severity = SeverityWarning
					}
				}
				continue
			}
			k.secretRefs(fv, p)
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			k.secretRefs(v.Index(i), append(slices.Clone(path), i))
		}
	case reflect.Map:
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
		for _, key := range keys {
			k.secretRefs(v.MapIndex(key), append(slices.Clone(path), fmt.Sprint(key)))
		}
	}
}

// fieldError is implemented by a Validate error about one value inside the section: FieldPath
// gives the YAML keys (string) and list indexes (int) below the section, so the problem is
// reported at that value's line and column.
type fieldError interface {
	error
	FieldPath() []any
}

var validatorType = reflect.TypeOf((*Validator)(nil)).Elem()

// validators calls Validate on every section (and map or list entry of one) that has it.
func (k *checker) validators(v reflect.Value, path []seg) {
	if v.Kind() == reflect.Pointer && v.IsNil() {
		return
	}
	if v.Type().Implements(validatorType) || (v.CanAddr() && v.Addr().Type().Implements(validatorType)) {
		var val Validator
		if v.Type().Implements(validatorType) {
			val = v.Interface().(Validator)
		} else {
			val = v.Addr().Interface().(Validator)
		}
		if err := val.Validate(); err != nil {
			var errs []error
			if j, ok := err.(interface{ Unwrap() []error }); ok {
				errs = j.Unwrap()
			} else {
				errs = []error{err}
			}
			for _, e := range errs {
				p := path
				var fe fieldError
				if errors.As(e, &fe) {
					p = append(slices.Clone(path), fe.FieldPath()...)
				}
				k.errorf(p, "%v", e)
			}
		}
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		k.validators(v.Elem(), path)
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			key, inline, skip := yamlKey(f)
			if skip || !f.IsExported() {
				continue
			}
			if len(path) == 0 && key == "freeswitch" {
				// esl.Node.Validate reads the process environment and files itself; the
				// freeswitch checks above do the same with CheckOptions, so skip it.
				continue
			}
			p := path
			if !inline {
				p = append(slices.Clone(path), key)
			}
			k.validators(v.Field(i), p)
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			k.validators(v.Index(i), append(slices.Clone(path), i))
		}
	case reflect.Map:
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
		for _, key := range keys {
			k.validators(v.MapIndex(key), append(slices.Clone(path), fmt.Sprint(key)))
		}
	}
}
