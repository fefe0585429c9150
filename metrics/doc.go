// Package metrics defines ivrd's Prometheus metrics in one place, on a registry of ivrd's own
// (not the global default registry), so that every package records into the same named series
// and tests can build a fresh set without collisions.
//
// The daemon builds one *Metrics with New and hands it to the packages that record (esl, ivr,
// callback, sms, recordings) and to package web, which serves it on /metrics. A package that
// has a metric of its own registers it with Register; it does not need to import web.
//
// Names follow Prometheus conventions: an ivrd_ prefix, _total for counters, base units
// (seconds, ratios) in the name.
package metrics
