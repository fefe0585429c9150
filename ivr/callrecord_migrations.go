package ivr

import (
	"embed"

	"github.com/ivrd/ivrd/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is package ivr's schema (the call records: tables ivr_call and ivr_call_event).
// Pass it to store.Migrate.
var Migrations = store.MigrationSet{Name: "ivr", FS: store.MustSub(migrationFiles, "migrations")}
