// Package store is ivrd's PostgreSQL: the pgx pool, schema migrations (tern) and the River
// job queue that makes callbacks, texts and recordings durable.
package store
