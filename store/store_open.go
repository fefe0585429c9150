package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// DefaultConnectTimeout bounds each attempt to connect when the URL sets no connect_timeout.
const DefaultConnectTimeout = 10 * time.Second

// Open returns a pool on the PostgreSQL database named by url (postgres://user:pass@host:port/db
// or a key=value DSN) after checking, within ctx and the connect timeout, that the database
// answers. Errors name the host and database, never the password. The caller closes the pool.
func Open(ctx context.Context, url string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgconn redacts the password in parse errors.
		return nil, fmt.Errorf("database URL is not valid (want postgres://USER:PASSWORD@HOST:PORT/DB): %w", err)
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = DefaultConnectTimeout
	}
	where := describe(cfg)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open PostgreSQL %s: %w", where, err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, cfg.ConnConfig.ConnectTimeout)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to PostgreSQL %s: %w; check that PostgreSQL is running there, "+
			"that the database and user exist, and the database URL (--database or database.url in ivrd.yaml)", where, err)
	}
	return pool, nil
}

// describe names where cfg points, without the password: "db ivrd as ivrd on host:5432".
func describe(cfg *pgxpool.Config) string {
	c := cfg.ConnConfig
	return fmt.Sprintf("database %q as user %q on %s:%d", c.Database, c.User, c.Host, c.Port)
}
