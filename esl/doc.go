// Package esl controls FreeSWITCH over the Event Socket. It wraps github.com/percipia/eslgo and
// makes that library's known defects impossible through its API: one writer per connection, a
// deadline on every command, any command error closes and redials, bgapi with our own Job-UUID,
// and each call's events delivered in order.
package esl
