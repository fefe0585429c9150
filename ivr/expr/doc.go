// Package expr is the small, safe expression and template language of ivrd flows and texts.
//
// An expression is what a flow designer writes in `if:`, `when:` or `priority:`:
//
//	vars.vip == true and caller.number startswith "+44"
//	now.time >= "08:00" and now.weekday in ["mon", "tue"]
//	vars.tries + 1
//
// A template is text with expressions in double braces, optionally piped through filters:
//
//	Your balance is {{vars.balance | money}}. You entered {{vars.account | digits}}.
//
// Both are parsed once (Parse, ParseTemplate) and evaluated many times against an Env, the
// caller's variables. Evaluation never runs arbitrary code, never reflects and never panics:
// the language has literals, names (vars.x, caller.number, call.called, now), comparisons,
// and/or/not, in, startswith/endswith/contains, matches (RE2 regex compiled at parse time),
// + - * / %, and a fixed set of functions (see Functions). A missing variable is null; null
// renders as "" in templates.
//
// The package is a leaf: it imports nothing of ivrd, so the flow language (package ivr) and
// text-message templates (package sms) share it.
package expr
