package sms

import (
	"errors"
	"fmt"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// ErrBadNumber is returned for a number that is not a valid phone number.
var ErrBadNumber = errors.New("not a valid phone number")

// NormalizeNumber returns raw in E.164 (+CCNNN...). Numbers without a leading + or 00 are
// read as national numbers of defaultRegion (ISO code such as "US"; may be empty).
func NormalizeNumber(raw, defaultRegion string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", fmt.Errorf("empty number: %w", ErrBadNumber)
	}
	if strings.HasPrefix(s, "00") {
		s = "+" + s[2:]
	}
	region := strings.ToUpper(defaultRegion)
	if region == "" {
		region = "ZZ"
	}
	n, err := phonenumbers.Parse(s, region)
	if err != nil {
		return "", fmt.Errorf("number %q (%v; write it as +<country code><number>): %w", raw, err, ErrBadNumber)
	}
	if !phonenumbers.IsValidNumber(n) {
		return "", fmt.Errorf("number %q is not a valid number in its country: %w", raw, ErrBadNumber)
	}
	return phonenumbers.Format(n, phonenumbers.E164), nil
}

// numberTimezone is the first IANA time zone the number's country/area uses, "" if unknown.
func numberTimezone(e164 string) string {
	n, err := phonenumbers.Parse(e164, "ZZ")
	if err != nil {
		return ""
	}
	zones, err := phonenumbers.GetTimezonesForNumber(n)
	if err != nil || len(zones) == 0 || zones[0] == phonenumbers.UNKNOWN_TIMEZONE {
		return ""
	}
	return zones[0]
}
