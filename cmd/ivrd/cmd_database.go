package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ivrd/ivrd/store"
)

// databaseFlags are --database and --database-file, which every command that reads or
// writes the database takes (calls, report, callbacks, migrate, qa show).
type databaseFlags struct {
	url, file string
}

// addDatabaseFlags adds --database and --database-file to fs, defaulting to
// $IVRD_DATABASE_URL and $IVRD_DATABASE_URL_FILE.
func addDatabaseFlags(fs *flag.FlagSet, env *cmdEnv) *databaseFlags {
	d := &databaseFlags{}
	fs.StringVar(&d.url, "database", env.getenv("IVRD_DATABASE_URL"),
		"PostgreSQL URL, postgres://USER:PASSWORD@HOST:PORT/DB (default $IVRD_DATABASE_URL, else the running demo's)")
	fs.StringVar(&d.file, "database-file", env.getenv("IVRD_DATABASE_URL_FILE"),
		"file holding the PostgreSQL URL, keeping the password off the command line (default $IVRD_DATABASE_URL_FILE)")
	return d
}

// resolve says where the database is: --database, --database-file, $IVRD_DATABASE_URL(_FILE),
// else the database of the demo running in this folder (.demo/database_url).
func (d *databaseFlags) resolve() (string, error) {
	if d.url != "" {
		return d.url, nil
	}
	file := d.file
	if file == "" {
		if f := filepath.Join(".demo", demoURLFile); fileExists(f) {
			file = f
		}
	}
	if file == "" {
		return "", errors.New("no database: give --database postgres://USER:PASSWORD@HOST:PORT/DB (or --database-file FILE, " +
			"or set $IVRD_DATABASE_URL), or run this in the folder where ivrd demo runs")
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("read the database URL: %w; give --database-file a readable file, or --database URL", err)
	}
	u := strings.TrimSpace(string(b))
	if u == "" {
		return "", fmt.Errorf("database URL file %s is empty; put postgres://USER:PASSWORD@HOST:PORT/DB in it", file)
	}
	return u, nil
}

// open resolves the database and connects to it. The caller closes the pool.
func (d *databaseFlags) open(ctx context.Context) (*pgxpool.Pool, error) {
	url, err := d.resolve()
	if err != nil {
		return nil, err
	}
	return store.Open(ctx, url)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
