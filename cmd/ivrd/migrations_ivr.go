package main

import "github.com/ivrd/ivrd/ivr"

// The IVR runtime's call records (ivr_call, ivr_call_event).
func init() { migrationSets = append(migrationSets, ivr.Migrations) }
