package ivr

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestHoldPlanRotatesPromotionsWithoutRepeatsSkippingThoseWithoutTheCallersLanguage(t *testing.T) {
	t.Parallel()
	h := &Hold{Promos: [][]Audio{{{URL: "p1"}}, {{URL: "p2"}}, {{URL: "p3"}}}, PromoEvery: 30 * time.Second}
	// The caller speaks zh and p2 has no zh version.
	media := func(a []Audio) []Media {
		if a[0].URL == "p2" {
			return nil
		}
		return []Media{{Kind: MediaSpeech, Src: a[0].URL, Prompt: a[0].URL}}
	}
	for _, tc := range []struct {
		name    string
		variant int
		want    []string
	}{
		{"variant A starts at the first", 0, []string{"p1", "p3", "p1", "p3"}},
		{"variant B starts at the second (skipped: no zh), so at the third", 1, []string{"p3", "p1", "p3", "p1"}},
		{"variant C starts at the third", 2, []string{"p3", "p1", "p3", "p1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
			p := newHoldPlan(h, start, tc.variant)
			var got []string
			now := start
			for len(got) < len(tc.want) {
				item, until := p.next(now)
				if item == holdMusic {
					require.Equal(t, now.Add(30*time.Second).Truncate(30*time.Second), until.Truncate(30*time.Second))
					now = until
					continue
				}
				require.Equal(t, holdPromo, item)
				_, label := p.promo(media)
				got = append(got, label)
			}
			require.Equal(t, tc.want, got)
		})
	}
}

func TestHoldPlanPutsTheAnnouncementBeforeAPromotionDueAtTheSameTime(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
	p := newHoldPlan(&Hold{AnnouncePosition: true, AnnounceEvery: time.Minute, Promos: [][]Audio{{{URL: "p"}}}, PromoEvery: 30 * time.Second}, start, 0)
	var got []holdItem
	now := start
	for now.Before(start.Add(2 * time.Minute)) {
		item, until := p.next(now)
		if item == holdMusic {
			now = until
			continue
		}
		got = append(got, item)
	}
	require.Equal(t, []holdItem{holdPromo, holdAnnounce, holdPromo, holdPromo}, got, "30 s promo; 60 s announcement then promo; 90 s promo")
}

func TestPositionAndWaitTextsSayWhatIsKnownInTheCallersLanguage(t *testing.T) {
	t.Parallel()
	require.Equal(t, "You are next in the queue.", positionText("en", 1))
	require.Equal(t, "You are number 4 in the queue.", positionText("en", 4))
	require.Equal(t, "您在队列中排第4位。", positionText("zh", 4))
	require.Equal(t, "We cannot estimate the wait yet.", waitText("en", 0, false))
	require.Equal(t, "The wait is about one minute.", waitText("en", 40*time.Second, true))
	require.Equal(t, "The wait is about 3 minutes.", waitText("en", 150*time.Second, true))
	require.Equal(t, "目前无法估计等待时间。", waitText("zh", 0, false))
}
