package store_test

import (
	"context"
	"embed"
	"fmt"
	"log/slog"
	"os"

	"github.com/ivrd/ivrd/store"
)

// A domain package embeds its migration folder and declares its set once, next to its code.
//
//go:embed testdata/widgets/*.sql
var widgetFiles embed.FS

// Widgets is this example package's schema.
var Widgets = store.MigrationSet{Name: "widgets", FS: store.MustSub(widgetFiles, "testdata/widgets")}

// Migrate at startup (ivrd serve, ivrd migrate) with every package's set.
func ExampleMigrate() {
	ctx := context.Background()
	pool, err := store.Open(ctx, os.Getenv("IVRD_DATABASE_URL"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer pool.Close()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := store.MigrateWithLogger(ctx, pool, log, Widgets); err != nil {
		fmt.Println(err)
	}
}
