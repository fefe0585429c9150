// Package scaletest holds ivrd's multi-process tests: the real ivrd binary, built once per test
// binary, run as several `ivrd serve` processes on one PostgreSQL (store/pgtest) against
// several FreeSWITCH emulator nodes (esl/fstest, in the test process so a test can kill one).
//
// They check what an operator relies on when adding machines: callback jobs shared through
// River without duplicates, originates spread over the nodes, a node that goes away drained
// and its work retried on the others, calls on the surviving node unaffected.
//
// The package has no code of its own besides the tests.
package scaletest
