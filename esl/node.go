package esl

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
)

// Node is one FreeSWITCH's inbound event socket, as written in ivrd.yaml.
// (Owned by the esl package; extended there.)
//
// The password comes from exactly one of Password, PasswordEnv or PasswordFile. It is never
// logged: String, GoString and LogValue redact it, and no error this package returns contains it.
type Node struct {
	Name         string `yaml:"name"`
	Address      string `yaml:"address"`       // host:8021
	Password     string `yaml:"password"`      // discouraged: prefer password_env or password_file
	PasswordEnv  string `yaml:"password_env"`  // name of an environment variable holding the password
	PasswordFile string `yaml:"password_file"` // file holding the password
	// MaxChannels is how many channels this FreeSWITCH should carry at most (0: no limit
	// known). Pool uses it for its free-capacity hint.
	MaxChannels int `yaml:"max_channels"`
}

// ErrNoPassword says a Node has no usable password source.
var ErrNoPassword = errors.New("esl: no ESL password configured")

// Validate checks the node is usable: a name, an address, one password source that resolves.
func (n Node) Validate() error {
	if n.Address == "" {
		return fmt.Errorf("esl: freeswitch node %q: address is empty; set it to host:8021", n.Name)
	}
	_, err := n.secret()
	return err
}

// secret resolves the password. Errors name the source (variable name, file path), never a value.
func (n Node) secret() (string, error) {
	sources := 0
	for _, s := range []string{n.Password, n.PasswordEnv, n.PasswordFile} {
		if s != "" {
			sources++
		}
	}
	if sources > 1 {
		return "", fmt.Errorf("esl: freeswitch node %q: set only one of password, password_env, password_file", n.Name)
	}
	switch {
	case n.Password != "":
		return n.Password, nil
	case n.PasswordEnv != "":
		v, ok := os.LookupEnv(n.PasswordEnv)
		if !ok || v == "" {
			return "", fmt.Errorf("%w: freeswitch node %q: environment variable %s is unset or empty; export it or use password_file", ErrNoPassword, n.Name, n.PasswordEnv)
		}
		return v, nil
	case n.PasswordFile != "":
		b, err := os.ReadFile(n.PasswordFile)
		if err != nil {
			return "", fmt.Errorf("%w: freeswitch node %q: reading password_file: %w", ErrNoPassword, n.Name, err)
		}
		v := strings.TrimRight(string(b), "\r\n")
		if v == "" {
			return "", fmt.Errorf("%w: freeswitch node %q: password_file %s is empty", ErrNoPassword, n.Name, n.PasswordFile)
		}
		if strings.ContainsAny(v, "\r\n") {
			return "", fmt.Errorf("%w: freeswitch node %q: password_file %s has more than one line", ErrNoPassword, n.Name, n.PasswordFile)
		}
		return v, nil
	}
	return "", fmt.Errorf("%w: freeswitch node %q: set password_env (preferred) or password_file", ErrNoPassword, n.Name)
}

// label is how the node appears in logs and errors.
func (n Node) label() string {
	if n.Name != "" {
		return n.Name
	}
	return n.Address
}

// String describes the node without its password.
func (n Node) String() string {
	src := "none"
	switch {
	case n.Password != "":
		src = "inline(redacted)"
	case n.PasswordEnv != "":
		src = "env:" + n.PasswordEnv
	case n.PasswordFile != "":
		src = "file:" + n.PasswordFile
	}
	return fmt.Sprintf("freeswitch %s at %s (password %s)", n.Name, n.Address, src)
}

// GoString keeps %#v from printing the password.
func (n Node) GoString() string { return n.String() }

// LogValue keeps slog from printing the password.
func (n Node) LogValue() slog.Value {
	return slog.GroupValue(slog.String("name", n.Name), slog.String("address", n.Address))
}
