package callback

import (
	"fmt"
	"slices"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// checkNumber parses raw as a phone number (national numbers in cfg.DefaultRegion) and checks
// the allow and deny lists. It returns the E.164 form, or the refusal's reason and a detail
// that says what to do.
func (c Config) checkNumber(raw string) (string, Reason, string) {
	s := strings.TrimSpace(raw)
	if strings.HasPrefix(s, "00") {
		s = "+" + s[2:]
	}
	if s == "" {
		return "", ReasonBadNumber, "no number given: give the customer's number, e.g. +14155552671"
	}
	n, err := phonenumbers.Parse(s, strings.ToUpper(c.DefaultRegion))
	if err != nil {
		return "", ReasonBadNumber, fmt.Sprintf("%q is not a phone number (%v); write it as +<country code><number>", raw, err)
	}
	if !phonenumbers.IsValidNumber(n) {
		return "", ReasonBadNumber, fmt.Sprintf("%q is not a valid number in its country; check the digits", raw)
	}
	e164 := phonenumbers.Format(n, phonenumbers.E164)
	for _, p := range c.DenyPrefixes {
		if strings.HasPrefix(e164, p) {
			return e164, ReasonDeniedPrefix, fmt.Sprintf("%s starts with %s, which callbacks.deny_prefixes refuses", e164, p)
		}
	}
	allowed := slices.ContainsFunc(c.AllowPrefixes, func(p string) bool { return strings.HasPrefix(e164, p) })
	if allowed {
		return e164, "", ""
	}
	switch phonenumbers.GetNumberType(n) {
	case phonenumbers.PREMIUM_RATE, phonenumbers.SHARED_COST:
		return e164, ReasonPremiumRate, fmt.Sprintf("%s is a premium-rate or shared-cost number; callbacks never call those (add its prefix to callbacks.allow_prefixes to allow it)", e164)
	}
	region := phonenumbers.GetRegionCodeForNumber(n)
	if !slices.ContainsFunc(c.AllowCountries, func(r string) bool { return strings.EqualFold(r, region) }) {
		return e164, ReasonInternational, fmt.Sprintf("%s is in %s, not in callbacks.allow_countries %v", e164, region, c.AllowCountries)
	}
	return e164, "", ""
}
