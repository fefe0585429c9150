package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ivrd/ivrd/store"
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
	pg      store.PostgresPrograms
	admin   *pgxpool.Pool // on database postgres, for CREATE/DROP DATABASE
	extra   []string      // settings after serverSettings

	mu        sync.Mutex
	templates map[string]*templateDB // by set names, see cluster.template
	dbs       atomic.Int64           // databases created, for unique names
}

// startCluster sweeps leftovers from bases, then runs initdb and pg_ctl start in a new folder
// in bases[0] marked as owned by process owner (this process, except in tests of the sweep).
// extra settings ("name=value") override serverSettings.
func startCluster(ctx context.Context, bases []string, owner int, extra ...string) (_ *cluster, err error) {
	pg, err := store.FindPostgresPrograms()
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	sweepLeftovers(ctx, bases, pg)

	dir, err := os.MkdirTemp(bases[0], fmt.Sprintf("%s%d-", dirPrefix, owner))
	if err != nil {
		return nil, fmt.Errorf("pgtest: create cluster folder: %w", err)
	}
	c := &cluster{dir: dir, dataDir: filepath.Join(dir, "data"), sockDir: filepath.Join(dir, "sock"), pg: pg,
		extra: extra, templates: map[string]*templateDB{}}
	defer func() {
		if err != nil {
			c.stop(context.WithoutCancel(ctx))
		}
	}()
	if err := os.Mkdir(c.sockDir, 0o700); err != nil {
		return nil, fmt.Errorf("pgtest: create socket folder: %w", err)
	}
	if err := pg.Chown(dir, c.sockDir); err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	if c.port, err = store.FreeTCPPort(); err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}

	if err := pg.InitDB(ctx, dir, c.dataDir); err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
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
	settings := append(slices.Clone(serverSettings), c.extra...)
	if err := c.pg.Start(ctx, c.dir, c.dataDir, c.sockDir, c.port, filepath.Join(c.dir, "postgres.log"), settings...); err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	return nil
}

// halt stops the server at once (like a crash: no checkpoint), keeping its files.
func (c *cluster) halt(ctx context.Context) error {
	if err := c.pg.Stop(ctx, c.dir, c.dataDir, "immediate"); err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	return nil
}

// url is the connection URL of database db in the cluster.
func (c *cluster) url(db string) string { return store.SocketURL(c.sockDir, c.port, db) }

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

// sweepLeftovers stops and removes the clusters of test binaries that died without cleaning
// up (killed, or timed out). Clusters whose owner still runs are left alone. Several binaries
// may sweep at once: each first claims a leftover by renaming it to a name it owns, so one
// stops it; if that one dies too, the next sweep claims it again.
func sweepLeftovers(ctx context.Context, bases []string, pg store.PostgresPrograms) {
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
			_ = pg.Stop(ctx, claimed, filepath.Join(claimed, "data"), "immediate")
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
