package ivr

// Calendar is a named set of business hours (time zone, weekly schedule, holidays), declared
// in ivrd.yaml under calendars: and referred to by name from flows.
type Calendar struct{}
