// Package fstest is a FreeSWITCH emulator that speaks real ESL over TCP: the inbound port
// (auth, api, bgapi, events, filters) and outbound socket sessions for scripted callers. Tests
// and `ivrd demo` run against it. It reproduces the byte-exact transcripts of a real
// FreeSWITCH 1.10.12 kept in shared/freeswitch/traces.
package fstest
