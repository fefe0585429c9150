package pgtest

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
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// dirPrefix starts the name of every cluster folder (see baseDirs); the owner's pid follows,
// so a later binary can tell a leftover (owner gone) from a live cluster.
const dirPrefix = "ivrd-pgtest-"

// serverSettings make the throwaway cluster fast; durability does not matter here.
var serverSettings = []string{
	"listen_addresses=",
	"fsync=off",
	"full_page_writes=off",
	"synchronous_commit=off",
	"max_connections=300",
	"shared_buffers=32MB",
	"max_wal_size=96MB", // the cluster may live in RAM (see baseDirs)
	"min_wal_size=32MB",
}

// baseDirs are the folders that may hold cluster folders, the preferred one first: $IVRD_PGTEST_DIR
// if set, else /dev/shm when it has room (RAM: creating a database there takes ~10 ms instead of
// ~250 ms on a virtual disk), else os.TempDir().
func baseDirs() []string {
	if d := os.Getenv("IVRD_PGTEST_DIR"); d != "" {
		return []string{d}
	}
	const shm, room = "/dev/shm", 1 << 30
	var st syscall.Statfs_t
	if syscall.Statfs(shm, &st) == nil && st.Bavail*uint64(st.Bsize) >= room && syscall.Access(shm, 2 /* W_OK */) == nil {
		return []string{shm, os.TempDir()}
	}
	return []string{os.TempDir()}
}

// cluster is one running PostgreSQL server owned by this test binary.
type cluster struct {
	dir     string // temporary folder holding everything below
	dataDir string
	sockDir string
	port    int
	bin     string              // folder of initdb and pg_ctl
	cred    *syscall.Credential // user postgres when we are root, else nil
	admin   *pgxpool.Pool       // on database postgres, for CREATE/DROP DATABASE
	extra   []string            // settings after serverSettings

	mu        sync.Mutex
	templates map[string]*templateDB // by set names, see cluster.template
	dbs       atomic.Int64           // databases created, for unique names
}

// startCluster sweeps leftovers from bases, then runs initdb and pg_ctl start in a new folder
// in bases[0] marked as owned by process owner (this process, except in tests of the sweep).
// extra settings ("name=value") override serverSettings.
func startCluster(ctx context.Context, bases []string, owner int, extra ...string) (_ *cluster, err error) {
	bin, err := findBinDir()
	if err != nil {
		return nil, err
	}
	cred, err := runAsCredential()
	if err != nil {
		return nil, err
	}
	sweepLeftovers(ctx, bases, bin, cred)

	dir, err := os.MkdirTemp(bases[0], fmt.Sprintf("%s%d-", dirPrefix, owner))
	if err != nil {
		return nil, fmt.Errorf("pgtest: create cluster folder: %w", err)
	}
	c := &cluster{dir: dir, dataDir: filepath.Join(dir, "data"), sockDir: filepath.Join(dir, "sock"), bin: bin, cred: cred,
		extra: extra, templates: map[string]*templateDB{}}
	defer func() {
		if err != nil {
			c.stop(context.WithoutCancel(ctx))
		}
	}()
	if err := os.Mkdir(c.sockDir, 0o700); err != nil {
		return nil, fmt.Errorf("pgtest: create socket folder: %w", err)
	}
	if cred != nil {
		for _, p := range []string{dir, c.sockDir} {
			if err := os.Chown(p, int(cred.Uid), int(cred.Gid)); err != nil {
				return nil, fmt.Errorf("pgtest: give %s to user postgres: %w", p, err)
			}
		}
	}
	if c.port, err = freePort(); err != nil {
		return nil, err
	}

	if err := c.run(ctx, "initdb", "-A", "trust", "--no-sync", "-U", "postgres", "-E", "UTF8", "--locale=C",
		"--no-instructions", "-D", c.dataDir); err != nil {
		return nil, err
	}
	if err := c.start(ctx); err != nil {
		return nil, err
	}
	cfg, err := pgxpool.ParseConfig(c.url("postgres"))
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	cfg.MaxConns = 8
	if c.admin, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return nil, fmt.Errorf("pgtest: connect to the test cluster: %w", err)
	}
	if err := c.admin.Ping(ctx); err != nil {
		return nil, fmt.Errorf("pgtest: connect to the test cluster: %w", err)
	}
	return c, nil
}

// start starts the server of an initialized cluster and waits until it accepts connections.
func (c *cluster) start(ctx context.Context) error {
	opts := []string{"-k", shellQuote(c.sockDir), "-p", strconv.Itoa(c.port)}
	for _, s := range append(slices.Clone(serverSettings), c.extra...) {
		opts = append(opts, "-c", shellQuote(s))
	}
	logFile := filepath.Join(c.dir, "postgres.log")
	err := c.run(ctx, "pg_ctl", "-D", c.dataDir, "-l", logFile, "-w", "-t", "120", "-o", strings.Join(opts, " "), "start")
	if err != nil {
		if log, rerr := os.ReadFile(logFile); rerr == nil {
			err = fmt.Errorf("%w\nserver log:\n%s", err, log)
		}
		return err
	}
	return nil
}

// halt stops the server at once (like a crash: no checkpoint), keeping its files.
func (c *cluster) halt(ctx context.Context) error {
	if _, err := os.Stat(filepath.Join(c.dataDir, "postmaster.pid")); err != nil {
		return nil // not running
	}
	return c.run(ctx, "pg_ctl", "-D", c.dataDir, "-m", "immediate", "-w", "-t", "60", "stop")
}

// url is the connection URL of database db in the cluster.
func (c *cluster) url(db string) string {
	q := url.Values{"host": {c.sockDir}, "port": {strconv.Itoa(c.port)}, "sslmode": {"disable"}}
	return (&url.URL{Scheme: "postgres", User: url.User("postgres"), Path: "/" + db, RawQuery: q.Encode()}).String()
}

// stop shuts the server down at once and removes the cluster's folder.
func (c *cluster) stop(ctx context.Context) error {
	if c.admin != nil {
		c.admin.Close()
	}
	errs := []error{c.halt(ctx)}
	if err := os.RemoveAll(c.dir); err != nil {
		errs = append(errs, fmt.Errorf("pgtest: remove cluster folder: %w", err))
	}
	return errors.Join(errs...)
}

// run runs one PostgreSQL program from c.bin as the cluster's user, in the cluster's folder.
func (c *cluster) run(ctx context.Context, prog string, args ...string) error {
	return runPG(ctx, c.bin, c.cred, c.dir, prog, args...)
}

func runPG(ctx context.Context, bin string, cred *syscall.Credential, dir, prog string, args ...string) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(bin, prog), args...)
	cmd.Dir = dir // the caller's folder may be unreadable for user postgres
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("pgtest: %s %s: %w\n%s", prog, strings.Join(args, " "), err, bytes.TrimSpace(out.Bytes()))
	}
	return nil
}

// findBinDir finds the folder holding initdb and pg_ctl: $PATH first, then the newest
// /usr/lib/postgresql/*/bin.
func findBinDir() (string, error) {
	return findBinDirIn(filepath.SplitList(os.Getenv("PATH")), "/usr/lib/postgresql/*/bin")
}

func findBinDirIn(path []string, glob string) (string, error) {
	versioned, _ := filepath.Glob(glob)
	slices.SortFunc(versioned, func(a, b string) int { return versionOf(b) - versionOf(a) })
	for _, dir := range append(slices.Clone(path), versioned...) {
		if isExecutable(filepath.Join(dir, "initdb")) && isExecutable(filepath.Join(dir, "pg_ctl")) {
			return dir, nil
		}
	}
	return "", errors.New("pgtest: PostgreSQL server programs (initdb, pg_ctl) not found on PATH nor in " + glob +
		"; install them: apt-get install postgresql (or ./run deps)")
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

func versionOf(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// runAsCredential returns user postgres's credential when we are root (initdb refuses root).
func runAsCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("pgtest: running as root, the test cluster must run as user postgres, which is missing (%w); "+
			"install it with: apt-get install postgresql", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("pgtest: user postgres: %w", err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// freePort returns a TCP port nobody listens on now. The server listens only on its Unix
// socket, whose name includes the port, so this is belt and braces.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgtest: pick a port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// sweepLeftovers stops and removes the clusters of test binaries that died without cleaning
// up (killed, or timed out). Clusters whose owner still runs are left alone. Several binaries
// may sweep at once: each first claims a leftover by renaming it to a name it owns, so one
// stops it; if that one dies too, the next sweep claims it again.
func sweepLeftovers(ctx context.Context, bases []string, bin string, cred *syscall.Credential) {
	for _, base := range bases {
		dirs, _ := filepath.Glob(filepath.Join(base, dirPrefix+"*"))
		for _, dir := range dirs {
			rest := strings.TrimPrefix(filepath.Base(dir), dirPrefix)
			pid, err := strconv.Atoi(rest[:max(strings.IndexByte(rest, '-'), 0)])
			if err != nil || pid == os.Getpid() || processAlive(pid) {
				continue
			}
			claimed := filepath.Join(base, fmt.Sprintf("%s%d-swept-%s", dirPrefix, os.Getpid(), rest))
			if os.Rename(dir, claimed) != nil {
				continue // another binary claimed it first
			}
			data := filepath.Join(claimed, "data")
			if _, err := os.Stat(filepath.Join(data, "postmaster.pid")); err == nil {
				_ = runPG(ctx, bin, cred, claimed, "pg_ctl", "-D", data, "-m", "immediate", "-w", "-t", "30", "stop")
			}
			_ = os.RemoveAll(claimed)
		}
	}
}

// processAlive reports whether pid runs. A reused pid keeps a leftover until that process
// ends too, which wastes a little memory but never breaks a run.
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// shellQuote quotes s for the shell pg_ctl passes -o through.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
}
