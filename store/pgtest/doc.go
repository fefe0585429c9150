// Package pgtest gives tests a real, throwaway PostgreSQL.
//
// A test binary that uses it calls Main from TestMain:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// The first test that asks for a database starts a private PostgreSQL cluster (initdb into a
// temporary folder, a Unix socket only, fsync off); Main stops it and removes the folder when
// the tests are done. A binary whose tests never ask for a database starts nothing. Each test
// gets its own database, dropped when the test ends, so tests may run in parallel; several
// test binaries (go test ./...) each run their own cluster. Clusters left behind by a killed
// test binary are stopped and removed by the next binary that starts one.
//
// NewDatabase returns the URL of an empty database; NewPool returns a pool on a database that
// already has store's core migrations, River's and the given sets, copied from a template
// database migrated once per binary for each distinct list of sets. Both take about 10 ms when
// the cluster lives in /dev/shm (the default when it has 1 GiB free; $IVRD_PGTEST_DIR chooses
// another folder).
//
// NewServer gives one test a cluster of its own that it can Stop (a crash) and Start again,
// for tests of what happens when the database goes away.
//
// The PostgreSQL server binaries (initdb, pg_ctl, postgres; Debian package postgresql) must be
// on PATH or in /usr/lib/postgresql/VERSION/bin. As root, the cluster runs as user postgres.
package pgtest
