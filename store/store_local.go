package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"
)

// LocalServer is a PostgreSQL server that ivrd runs itself in a data folder of its own:
// `ivrd demo` uses one when no database URL is configured. The cluster is created with initdb
// on first use and kept between runs (the demo's calls and texts survive a restart); it
// listens only on a Unix socket in the folder. When ivrd runs as root the server runs as user
// postgres, because initdb and postgres refuse to run as root.
//
// (store/pgtest starts throwaway clusters with the same PostgresPrograms, tuned for tests.)
type LocalServer struct {
	dir, dataDir, sockDir string
	port                  int
	pg                    PostgresPrograms
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
	if s.pg, err = FindPostgresPrograms(); err != nil {
		return nil, fmt.Errorf("local PostgreSQL: %w; or give a database URL (database.url)", err)
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
		if err := s.pg.Chown(d); err != nil {
			return nil, fmt.Errorf("local PostgreSQL: %w", err)
		}
	}
	if _, err := os.Stat(filepath.Join(s.dataDir, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		if err := s.pg.InitDB(ctx, s.dir, s.dataDir); err != nil {
			return nil, fmt.Errorf("local PostgreSQL: %w\n(the folder %s can be deleted to start over)", err, s.dir)
		}
	}
	if s.port, err = FreeTCPPort(); err != nil {
		return nil, fmt.Errorf("local PostgreSQL: %w", err)
	}
	if err := s.pg.Start(ctx, s.dir, s.dataDir, s.sockDir, s.port, filepath.Join(s.dir, "postgres.log"),
		"listen_addresses=", "fsync=off", "synchronous_commit=off", "max_connections=100"); err != nil {
		return nil, fmt.Errorf("local PostgreSQL: %w\n(is another ivrd demo running on %s? stop it first)", err, s.dir)
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

func (s *LocalServer) url(db string) string { return SocketURL(s.sockDir, s.port, db) }

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
	if err := s.pg.Stop(ctx, s.dir, s.dataDir, "fast"); err != nil {
		return fmt.Errorf("local PostgreSQL: %w", err)
	}
	return nil
}
