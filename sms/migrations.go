package sms

import (
	"embed"

	"github.com/ivrd/ivrd/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the sms package's schema (inbound, outbound, opt-out and follow-up tables),
// for store.Migrate.
var Migrations = store.MigrationSet{Name: "sms", FS: store.MustSub(migrationFiles, "migrations")}
