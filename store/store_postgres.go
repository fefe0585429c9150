package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// PostgresPrograms runs PostgreSQL's server programs (initdb, pg_ctl) on a cluster that ivrd
// owns: LocalServer (the demo's database) and store/pgtest (throwaway test clusters) both
// start theirs with it. When ivrd runs as root the programs run as user postgres, because
// initdb and postgres refuse to run as root.
type PostgresPrograms struct {
	Bin  string              // folder of initdb and pg_ctl
	Cred *syscall.Credential // user postgres's when we are root, else nil (run as ourselves)
}

// FindPostgresPrograms finds initdb and pg_ctl (see PostgresBinDir) and the user to run them as.
func FindPostgresPrograms() (PostgresPrograms, error) {
	bin, err := PostgresBinDir()
	if err != nil {
		return PostgresPrograms{}, err
	}
	cred, err := postgresCredential()
	if err != nil {
		return PostgresPrograms{}, err
	}
	return PostgresPrograms{Bin: bin, Cred: cred}, nil
}

// Chown gives folders to user postgres when the programs run as that user (else does nothing).
func (p PostgresPrograms) Chown(dirs ...string) error {
	if p.Cred == nil {
		return nil
	}
	for _, d := range dirs {
		if err := os.Chown(d, int(p.Cred.Uid), int(p.Cred.Gid)); err != nil {
			return fmt.Errorf("give %s to user postgres: %w", d, err)
		}
	}
	return nil
}

// InitDB creates a cluster in dataDir: trust authentication, superuser postgres, UTF8, C locale.
// dir is the working folder (user postgres must be able to enter it).
func (p PostgresPrograms) InitDB(ctx context.Context, dir, dataDir string) error {
	return p.Run(ctx, dir, "initdb", "-A", "trust", "--no-sync", "-U", "postgres", "-E", "UTF8", "--locale=C",
		"--no-instructions", "-D", dataDir)
}

// Start starts the server of the cluster in dataDir, listening only on a Unix socket in
// sockDir with the given port number, with settings ("name=value"), logging to logFile; it
// returns when the server accepts connections. A failure ends with the log's last lines.
func (p PostgresPrograms) Start(ctx context.Context, dir, dataDir, sockDir string, port int, logFile string, settings ...string) error {
	opts := []string{"-k", shellQuote(sockDir), "-p", strconv.Itoa(port)}
	for _, s := range settings {
		opts = append(opts, "-c", shellQuote(s))
	}
	err := p.Run(ctx, dir, "pg_ctl", "-D", dataDir, "-l", logFile, "-w", "-t", "120", "-o", strings.Join(opts, " "), "start")
	if err != nil {
		if b, rerr := os.ReadFile(logFile); rerr == nil {
			lines := strings.Split(strings.TrimSpace(string(b)), "\n")
			err = fmt.Errorf("%w\nlast lines of %s:\n%s", err, logFile, strings.Join(lines[max(0, len(lines)-20):], "\n"))
		}
		return err
	}
	return nil
}

// Stop stops the server of the cluster in dataDir if it runs, keeping its files. mode is
// pg_ctl's: "fast" (a clean shutdown) or "immediate" (like a crash: no checkpoint).
func (p PostgresPrograms) Stop(ctx context.Context, dir, dataDir, mode string) error {
	if _, err := os.Stat(filepath.Join(dataDir, "postmaster.pid")); err != nil {
		return nil // not running
	}
	return p.Run(ctx, dir, "pg_ctl", "-D", dataDir, "-m", mode, "-w", "-t", "60", "stop")
}

// Run runs one program from p.Bin in folder dir (the caller's folder may be unreadable for
// user postgres), giving up after 3 minutes. A failure includes the program's output.
func (p PostgresPrograms) Run(ctx context.Context, dir, prog string, args ...string) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(p.Bin, prog), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if p.Cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.Cred}
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w\n%s", prog, strings.Join(args, " "), err, bytes.TrimSpace(out.Bytes()))
	}
	return nil
}

// SocketURL is the connection URL of database db as user postgres, on the Unix socket in
// sockDir with the given port number.
func SocketURL(sockDir string, port int, db string) string {
	q := url.Values{"host": {sockDir}, "port": {strconv.Itoa(port)}, "sslmode": {"disable"}}
	return (&url.URL{Scheme: "postgres", User: url.User("postgres"), Path: "/" + db, RawQuery: q.Encode()}).String()
}

// FreeTCPPort returns a TCP port nobody listens on now. The servers listen only on their Unix
// socket, whose name includes the port, so this is belt and braces.
func FreeTCPPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pick a port for PostgreSQL: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// PostgresBinDir finds the folder holding PostgreSQL's initdb and pg_ctl: $PATH first, then
// the newest /usr/lib/postgresql/*/bin (Debian keeps them there).
func PostgresBinDir() (string, error) {
	return postgresBinDirIn(filepath.SplitList(os.Getenv("PATH")), "/usr/lib/postgresql/*/bin")
}

func postgresBinDirIn(path []string, glob string) (string, error) {
	versioned, _ := filepath.Glob(glob)
	version := func(d string) int { v, _ := strconv.Atoi(filepath.Base(filepath.Dir(d))); return v }
	slices.SortFunc(versioned, func(a, b string) int { return version(b) - version(a) })
	for _, dir := range append(slices.Clone(path), versioned...) {
		if isExecutableFile(filepath.Join(dir, "initdb")) && isExecutableFile(filepath.Join(dir, "pg_ctl")) {
			return dir, nil
		}
	}
	return "", errors.New("PostgreSQL server programs (initdb, pg_ctl) not found on PATH nor in " + glob +
		"; install them: apt-get install postgresql (or ./run deps)")
}

func isExecutableFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// postgresCredential is user postgres's when we are root, else nil (run as ourselves).
func postgresCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, PostgreSQL must run as user postgres, which is missing (%w); "+
			"install it: apt-get install postgresql", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("user postgres: %w", err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// shellQuote quotes s for the shell pg_ctl passes -o through.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
}
