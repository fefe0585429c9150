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

	"github.com/jackc/pgx/v5"
)

// LocalServer is a PostgreSQL server that ivrd runs itself in a data folder of its own:
// `ivrd demo` uses one when no database URL is configured. The cluster is created with initdb
// on first use and kept between runs (the demo's calls and texts survive a restart); it
// listens only on a Unix socket in the folder. When ivrd runs as root the server runs as user
// postgres, because initdb and postgres refuse to run as root.
//
// (store/pgtest starts throwaway clusters the same way, tuned for tests.)
type LocalServer struct {
	dir, dataDir, sockDir string
	port                  int
	bin                   string
	cred                  *syscall.Credential
}

// LocalDatabase is the database LocalServer creates for ivrd.
const LocalDatabase = "ivrd"

// StartLocalServer creates (first time) and starts the cluster in dir, creates the ivrd
// database if missing, and returns when it accepts connections. Stop it with Stop.
func StartLocalServer(ctx context.Context, dir string) (_ *LocalServer, err error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("local PostgreSQL: %w", err)
	}
	s := &LocalServer{dir: abs, dataDir: filepath.Join(abs, "data"), sockDir: filepath.Join(abs, "sock")}
	if s.bin, err = PostgresBinDir(); err != nil {
		return nil, err
	}
	if s.cred, err = postgresCredential(); err != nil {
		return nil, err
	}
	if len(s.sockDir) > 90 { // Unix socket paths are limited to ~107 bytes
		if s.sockDir, err = os.MkdirTemp("", "ivrd-pg-sock-"); err != nil {
			return nil, fmt.Errorf("local PostgreSQL: socket folder: %w", err)
		}
	}
	// user postgres must be able to reach the folder: its parents are made traversable
	if err := os.MkdirAll(filepath.Dir(s.dir), 0o755); err != nil {
		return nil, fmt.Errorf("local PostgreSQL: create %s: %w", filepath.Dir(s.dir), err)
	}
	for _, d := range []string{s.dir, s.sockDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("local PostgreSQL: create %s: %w", d, err)
		}
		if s.cred != nil {
			if err := os.Chown(d, int(s.cred.Uid), int(s.cred.Gid)); err != nil {
				return nil, fmt.Errorf("local PostgreSQL: give %s to user postgres: %w", d, err)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(s.dataDir, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		if err := s.run(ctx, "initdb", "-A", "trust", "--no-sync", "-U", "postgres", "-E", "UTF8", "--locale=C",
			"--no-instructions", "-D", s.dataDir); err != nil {
			return nil, fmt.Errorf("%w\n(the folder %s can be deleted to start over)", err, s.dir)
		}
	}
	if s.port, err = freeTCPPort(); err != nil {
		return nil, err
	}
	opts := []string{"-k", quoteShell(s.sockDir), "-p", strconv.Itoa(s.port), "-c", "listen_addresses=''", "-c", "fsync=off",
		"-c", "synchronous_commit=off", "-c", "max_connections=100"}
	logFile := filepath.Join(s.dir, "postgres.log")
	if err := s.run(ctx, "pg_ctl", "-D", s.dataDir, "-l", logFile, "-w", "-t", "60", "-o", strings.Join(opts, " "), "start"); err != nil {
		tail := ""
		if b, rerr := os.ReadFile(logFile); rerr == nil {
			lines := strings.Split(strings.TrimSpace(string(b)), "\n")
			tail = "\nlast lines of " + logFile + ":\n" + strings.Join(lines[max(0, len(lines)-10):], "\n")
		}
		return nil, fmt.Errorf("%w%s\n(is another ivrd demo running on %s? stop it first)", err, tail, s.dir)
	}
	defer func() {
		if err != nil {
			_ = s.Stop(context.WithoutCancel(ctx))
		}
	}()
	if err := s.createDatabase(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// URL is the connection URL of the ivrd database.
func (s *LocalServer) URL() string { return s.url(LocalDatabase) }

// Dir is the cluster's folder.
func (s *LocalServer) Dir() string { return s.dir }

func (s *LocalServer) url(db string) string {
	q := url.Values{"host": {s.sockDir}, "port": {strconv.Itoa(s.port)}, "sslmode": {"disable"}}
	return (&url.URL{Scheme: "postgres", User: url.User("postgres"), Path: "/" + db, RawQuery: q.Encode()}).String()
}

func (s *LocalServer) createDatabase(ctx context.Context) error {
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(cctx, s.url("postgres"))
	if err != nil {
		return fmt.Errorf("local PostgreSQL: connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var exists bool
	if err := conn.QueryRow(cctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, LocalDatabase).Scan(&exists); err != nil {
		return fmt.Errorf("local PostgreSQL: %w", err)
	}
	if !exists {
		if _, err := conn.Exec(cctx, "CREATE DATABASE "+LocalDatabase); err != nil {
			return fmt.Errorf("local PostgreSQL: create database %s: %w", LocalDatabase, err)
		}
	}
	return nil
}

// Stop shuts the server down (fast: open connections are closed), keeping its data.
func (s *LocalServer) Stop(ctx context.Context) error {
	if _, err := os.Stat(filepath.Join(s.dataDir, "postmaster.pid")); err != nil {
		return nil // not running
	}
	return s.run(ctx, "pg_ctl", "-D", s.dataDir, "-m", "fast", "-w", "-t", "60", "stop")
}

func (s *LocalServer) run(ctx context.Context, prog string, args ...string) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(s.bin, prog), args...)
	cmd.Dir = s.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if s.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("local PostgreSQL: %s %s: %w\n%s", prog, strings.Join(args, " "), err, bytes.TrimSpace(out.Bytes()))
	}
	return nil
}

// PostgresBinDir finds the folder holding PostgreSQL's initdb and pg_ctl: $PATH first, then
// the newest /usr/lib/postgresql/*/bin (Debian keeps them there).
func PostgresBinDir() (string, error) {
	versioned, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	version := func(d string) int { v, _ := strconv.Atoi(filepath.Base(filepath.Dir(d))); return v }
	slices.SortFunc(versioned, func(a, b string) int { return version(b) - version(a) })
	for _, dir := range append(filepath.SplitList(os.Getenv("PATH")), versioned...) {
		if isExecutableFile(filepath.Join(dir, "initdb")) && isExecutableFile(filepath.Join(dir, "pg_ctl")) {
			return dir, nil
		}
	}
	return "", errors.New("PostgreSQL server programs (initdb, pg_ctl) not found on PATH nor in /usr/lib/postgresql/*/bin; " +
		"install them (apt-get install postgresql, or ./run deps) or give a database URL (database.url)")
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
		return nil, fmt.Errorf("running as root, PostgreSQL must run as user postgres, which is missing (%w); install it: apt-get install postgresql", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("user postgres: %w", err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func freeTCPPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("local PostgreSQL: pick a port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func quoteShell(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
}
