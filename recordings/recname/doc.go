// Package recname names call recordings from the recordings.name template of ivrd.yaml,
// e.g. "{{date}}/{{caller.number}}-{{call.id}}-{{n}}.wav". The template is an ivr/expr
// template checked once at config load (Parse); each recording's path is rendered from the
// call's variables (Template.Path), with the values of those variables made safe for a file
// name so that caller data (a hostile caller ID) can never leave the recordings folder.
//
// It is a leaf (it imports only ivr/expr) so that the ivr runtime, which renders names, and
// the recordings: config section, which checks the template, share it.
package recname
