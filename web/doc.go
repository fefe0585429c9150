// Package web is ivrd's HTTP server: /healthz (the process is up), /readyz (FreeSWITCH
// connected, database reachable: named readiness checks run with a deadline), Prometheus
// /metrics, the server-rendered status page (/ and /status; the same snapshot as JSON on
// /status.json), and whatever other packages
// mount on it (SMS gateway webhooks, the callback API, the QA API).
//
// The daemon builds one Server with New, registers readiness checks with AddCheck, lets
// other packages Mount their handlers, then calls Start. On SIGTERM it calls Drain first
// (readiness turns 503 so a load balancer stops sending new work while calls finish) and
// Shutdown last.
//
// The status page reads everything it shows from a StatusSource, which the runtime
// implements; the page itself needs no build step and no JavaScript framework.
//
// A package whose routes register on a ServeMux (sms.Inbound.Routes) mounts a mux of its own:
//
//	m := http.NewServeMux()
//	inbound.Routes(m)
//	srv.Mount("/sms/", m)
package web
