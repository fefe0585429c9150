// Package docker holds ivrd's deployable stack: the Dockerfile, the compose file (FreeSWITCH,
// PostgreSQL, Kannel, ivrd), the FreeSWITCH config overlay, Kannel's config and the config
// ivrd runs with in the stack. It has no Go code: its tests check that these files parse and
// agree with each other (ports, passwords' variable names, the recordings path), so a change
// to one that the others do not follow fails in CI rather than in production.
package docker
