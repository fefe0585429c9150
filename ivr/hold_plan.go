package ivr

import (
	"fmt"
	"time"
)

// holdPlan is one caller's hold schedule: announcements every AnnounceEvery and promotions
// every PromoEvery from when they joined, music in between. Promotions rotate from the
// caller's variant's starting point, so nobody hears one twice before hearing them all; a
// promotion with nothing to say in the caller's language is skipped.
type holdPlan struct {
	hold         *Hold
	nextAnnounce time.Time
	nextPromo    time.Time
	// promoTurn counts the promotions played (or skipped) so far; promotion promoTurn+offset
	// (mod len) is next.
	promoTurn int
	offset    int
}

// holdItem is what the hold treatment plays next.
type holdItem int

const (
	holdMusic holdItem = iota
	holdAnnounce
	holdPromo
)

func newHoldPlan(h *Hold, start time.Time, offset int) *holdPlan {
	if h == nil {
		h = &Hold{}
	}
	p := &holdPlan{hold: h, offset: offset}
	if len(h.Announce) > 0 || h.AnnouncePosition || h.AnnounceWait {
		p.nextAnnounce = start.Add(orDefault(h.AnnounceEvery, 60*time.Second))
	}
	if len(h.Promos) > 0 {
		p.nextPromo = start.Add(orDefault(h.PromoEvery, 45*time.Second))
	}
	return p
}

// next says what is due at now: an announcement, a promotion, or music until the returned
// time (zero: music with nothing scheduled).
func (p *holdPlan) next(now time.Time) (holdItem, time.Time) {
	switch {
	case !p.nextAnnounce.IsZero() && !now.Before(p.nextAnnounce):
		for !now.Before(p.nextAnnounce) {
			p.nextAnnounce = p.nextAnnounce.Add(orDefault(p.hold.AnnounceEvery, 60*time.Second))
		}
		return holdAnnounce, time.Time{}
	case !p.nextPromo.IsZero() && !now.Before(p.nextPromo):
		for !now.Before(p.nextPromo) {
			p.nextPromo = p.nextPromo.Add(orDefault(p.hold.PromoEvery, 45*time.Second))
		}
		return holdPromo, time.Time{}
	}
	until := p.nextAnnounce
	if until.IsZero() || (!p.nextPromo.IsZero() && p.nextPromo.Before(until)) {
		until = p.nextPromo
	}
	return holdMusic, until
}

// promo returns the next promotion that says something in the caller's language (media
// renders it), and its label; nil when none does.
func (p *holdPlan) promo(media func([]Audio) []Media) ([]Media, string) {
	n := len(p.hold.Promos)
	for tries := 0; tries < n; tries++ {
		i := (p.promoTurn + p.offset) % n
		p.promoTurn++
		if m := media(p.hold.Promos[i]); len(m) > 0 {
			label := m[0].Label()
			return m, label
		}
	}
	return nil, ""
}

// positionText is the position announcement in lang.
func positionText(lang string, pos int) string {
	if lang == "zh" {
		return fmt.Sprintf("您在队列中排第%d位。", pos)
	}
	if pos == 1 {
		return "You are next in the queue."
	}
	return fmt.Sprintf("You are number %d in the queue.", pos)
}

// waitText is the estimated-wait announcement in lang; known false says the wait cannot be
// estimated yet.
func waitText(lang string, wait time.Duration, known bool) string {
	mins := int((wait + 59*time.Second) / time.Minute)
	switch {
	case lang == "zh" && !known:
		return "目前无法估计等待时间。"
	case lang == "zh":
		return fmt.Sprintf("预计等待约%d分钟。", mins)
	case !known:
		return "We cannot estimate the wait yet."
	case mins <= 1:
		return "The wait is about one minute."
	}
	return fmt.Sprintf("The wait is about %d minutes.", mins)
}
