package callback

import (
	"embed"

	"github.com/ivrd/ivrd/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the callback package's schema (requests and attempts), for store.Migrate.
var Migrations = store.MigrationSet{Name: "callback", FS: store.MustSub(migrationFiles, "migrations")}
