package store

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/tern/v2/migrate"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

// MigrationSet is one package's schema: tern SQL migrations named 001_xxx.sql, 002_xxx.sql, ...
// at the root of FS (see MustSub), applied in order and versioned in the table
// schema_version_<Name>. A file may hold a down migration after the line
// "---- create above / drop below ----". Files are text/template templates (tern syntax).
type MigrationSet struct {
	// Name is lower case letters, digits and underscores, starting with a letter ("sms",
	// "callback"). It names the version table, so it must never change once deployed.
	Name string
	// FS holds the migration files at its root.
	FS fs.FS
}

// CoreSetName is the name of store's own migration set; no other set may use it.
const CoreSetName = "store"

//go:embed migrations/*.sql
var coreFiles embed.FS

// CoreMigrations is store's own set (the ivrd_meta table). Migrate always applies it first.
var CoreMigrations = MigrationSet{Name: CoreSetName, FS: MustSub(coreFiles, "migrations")}

// MustSub returns the subtree dir of fsys, for a MigrationSet whose files are embedded from a
// folder: `//go:embed migrations/*.sql` then MustSub(files, "migrations"). It panics if dir is
// not a valid path, which is a programming error.
func MustSub(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(fmt.Sprintf("store.MustSub(%q): %v", dir, err))
	}
	return sub
}

// MigrateLockKey is the PostgreSQL session advisory lock that Migrate holds, so that several
// processes migrate one at a time. It is fixed forever: changing it would let an old and a new
// ivrd migrate at once. An operator can hold it (select pg_advisory_lock(KEY)) to keep ivrd
// from migrating.
const MigrateLockKey int64 = 0x69767264_6d696772 // "ivrdmigr"

var setNameRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// Migrate brings the database behind pool up to date: store's core set, then River's
// migrations, then sets in the order given. It is idempotent, and safe when several
// processes call it at once: they take turns under a PostgreSQL advisory lock. The pool must
// allow at least 2 connections. Migrate logs nothing; see MigrateWithLogger.
func Migrate(ctx context.Context, pool *pgxpool.Pool, sets ...MigrationSet) error {
	return MigrateWithLogger(ctx, pool, nil, sets...)
}

// MigrateWithLogger is Migrate reporting progress (lock waits, each migration applied) to log;
// a nil log discards it.
func MigrateWithLogger(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger, sets ...MigrationSet) (err error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := validateSets(sets); err != nil {
		return err
	}
	if n := pool.Config().MaxConns; n < 2 {
		return fmt.Errorf("migrate: the pool allows %d connection(s); Migrate needs at least 2 (set pool_max_conns>=2 in the database URL)", n)
	}

	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate: connect: %w", err)
	}
	defer conn.Release()
	if err := lockMigrations(ctx, conn.Conn(), log); err != nil {
		return err
	}
	defer func() {
		// Unlock even when ctx is done; if that fails, closing the session drops the lock.
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if _, uerr := conn.Exec(uctx, "select pg_advisory_unlock($1)", MigrateLockKey); uerr != nil {
			_ = conn.Conn().Close(uctx)
			if err == nil {
				err = fmt.Errorf("migrate: release lock: %w", uerr)
			}
		}
	}()

	start := time.Now()
	if err := migrateSet(ctx, conn.Conn(), log, CoreMigrations); err != nil {
		return err
	}
	if err := migrateRiver(ctx, pool, log); err != nil {
		return err
	}
	for _, set := range sets {
		if err := migrateSet(ctx, conn.Conn(), log, set); err != nil {
			return err
		}
	}
	log.Info("database schema up to date", "sets", len(sets)+2, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

func validateSets(sets []MigrationSet) error {
	seen := map[string]bool{CoreSetName: true}
	for i, s := range sets {
		switch {
		case !setNameRE.MatchString(s.Name):
			return fmt.Errorf("migrate: set #%d has name %q; want lower case letters, digits and _ starting with a letter (at most 40)", i+1, s.Name)
		case seen[s.Name]:
			return fmt.Errorf("migrate: set name %q is used twice (or is store's own); give each package's set its own name", s.Name)
		case s.FS == nil:
			return fmt.Errorf("migrate: set %q has no FS", s.Name)
		}
		seen[s.Name] = true
	}
	return nil
}

// lockMigrations takes the session advisory lock on conn, saying so when it has to wait.
func lockMigrations(ctx context.Context, conn *pgx.Conn, log *slog.Logger) error {
	var got bool
	if err := conn.QueryRow(ctx, "select pg_try_advisory_lock($1)", MigrateLockKey).Scan(&got); err != nil {
		return fmt.Errorf("migrate: take lock: %w", err)
	}
	if got {
		return nil
	}
	log.Info("another ivrd is migrating this database; waiting for it")
	if _, err := conn.Exec(ctx, "select pg_advisory_lock($1)", MigrateLockKey); err != nil {
		return fmt.Errorf("migrate: wait for lock held by another ivrd: %w", err)
	}
	return nil
}

// migrateSet applies the pending migrations of one tern set on conn.
func migrateSet(ctx context.Context, conn *pgx.Conn, log *slog.Logger, set MigrationSet) error {
	table := "schema_version_" + set.Name
	m, err := migrate.NewMigrator(ctx, conn, table)
	if err != nil {
		return fmt.Errorf("migrate set %q: create version table %s: %w", set.Name, table, err)
	}
	if err := m.LoadMigrations(set.FS); err != nil {
		if errors.As(err, new(migrate.NoMigrationsFoundError)) {
			return fmt.Errorf("migrate set %q: no migration files (want 001_name.sql ... at the root of its FS; see store.MustSub)", set.Name)
		}
		return fmt.Errorf("migrate set %q: load migration files: %w", set.Name, err)
	}
	current, err := m.GetCurrentVersion(ctx)
	if err != nil {
		return fmt.Errorf("migrate set %q: read %s: %w", set.Name, table, err)
	}
	known := int32(len(m.Migrations))
	if current > known {
		return fmt.Errorf("migrate set %q: the database is at version %d but this ivrd knows only %d migrations; "+
			"a newer ivrd migrated it: run that version (or newer)", set.Name, current, known)
	}
	if current == known {
		log.Debug("migration set up to date", "set", set.Name, "version", current)
		return nil
	}
	m.OnStart = func(seq int32, name, direction, _ string) {
		log.Info("applying migration", "set", set.Name, "version", seq, "name", name, "direction", direction)
	}
	if err := m.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate set %q from version %d: %w", set.Name, current, err)
	}
	return nil
}

// migrateRiver applies River's own migrations through the pool.
func migrateRiver(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) error {
	m, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Logger: log})
	if err != nil {
		return fmt.Errorf("migrate River: %w", err)
	}
	res, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return fmt.Errorf("migrate River: %w", err)
	}
	for _, v := range res.Versions {
		log.Info("applied River migration", "version", v.Version, "name", v.Name, "took", v.Duration.Round(time.Millisecond))
	}
	return nil
}
