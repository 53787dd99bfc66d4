// Package pgtest gives tests and benchmarks a PostgreSQL database of their own.
//
// # Basics
//
// Call [Main] from the package's TestMain and [NewDatabase] from each test:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		t.Parallel()
//		url := pgtest.NewDatabase(t) // a fresh, empty database, dropped when t ends
//		pool, err := pgxpool.New(t.Context(), url)
//		...
//	}
//
// Every call to [NewDatabase] creates a new database (CREATE DATABASE) and drops it when the
// test or benchmark finishes, so tests are isolated and may run in parallel.
//
// # Which server
//
// When the environment variable ESGEN_TEST_DATABASE_URL is set (for example
// "postgres://postgres@localhost:5432/postgres"), databases are created on that server; the
// role in the URL needs the CREATEDB privilege.
//
// Otherwise the first [NewDatabase] call of the test binary starts a throwaway server:
// initdb and pg_ctl are looked up on PATH, then in /usr/lib/postgresql/*/bin (newest
// version first). The data directory and the unix socket live in a new directory
// $TMPDIR/esgen-pgtest-*; when the tests run as root, the server runs as the "postgres" OS
// user (through runuser, or su), which owns that directory. The server listens only on its
// unix socket, with settings for speed over durability (fsync, synchronous_commit and
// full_page_writes off), max_connections = 300 for concurrency tests and
// max_prepared_transactions = 20 for tests of two-phase commit. [Main] stops it
// and removes the directory after the tests have run.
//
// If a previous run crashed and left a server behind, the next start finds its directory
// (the owning test process no longer exists), stops that server and removes the directory.
//
// # Caveats
//
// PostgreSQL tests are never skipped: if no URL is given and the binaries cannot be found,
// [NewDatabase] fails the test with instructions to install PostgreSQL
// (apt-get install postgresql). [NewDatabase] also fails when the package has no TestMain
// calling [Main], since nothing would then stop the server.
//
// One server is shared by all tests of a test binary; it is the only process-wide state of
// this package, and exists precisely to be shared.
package pgtest
