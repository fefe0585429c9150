// Package store is ivrd's PostgreSQL: the pgx pool, schema migrations (tern) and the River
// job queue that makes callbacks, texts and recordings durable.
//
// Open connects to the database named by a URL and checks that it answers. Migrate brings a
// database up to date: store's own core set (the ivrd_meta table), River's tables, then each
// domain package's MigrationSet. Every domain package owns its set: tern SQL files named
// 001_xxx.sql, 002_xxx.sql, ... in its own embed.FS, versioned in its own table
// schema_version_<name>, so packages add migrations without touching each other. Migrate
// holds a PostgreSQL advisory lock, so several ivrd instances starting at once apply each
// migration exactly once.
//
// A package declares its set next to its code:
//
//	//go:embed migrations/*.sql
//	var migrationFiles embed.FS
//
//	// Migrations is the schema of package sms.
//	var Migrations = store.MigrationSet{Name: "sms", FS: store.MustSub(migrationFiles, "migrations")}
//
// and adds it to ivrd's list in cmd/ivrd (a file of its own there):
//
//	func init() { migrationSets = append(migrationSets, sms.Migrations) }
//
// River clients are built by the packages (or by ivrd serve) with
// river.NewClient(riverpgxv5.New(pool), cfg); River's tables come from Migrate.
//
// Tests get a real throwaway PostgreSQL from the sibling package store/pgtest:
// pgtest.NewPool(t, sms.Migrations) is a pool on a database of the test's own, migrated.
//
// LocalServer is a PostgreSQL cluster ivrd runs itself (ivrd demo without a database URL).
// It and store/pgtest's throwaway clusters both run initdb and pg_ctl through
// PostgresPrograms, as user postgres when ivrd runs as root.
package store
