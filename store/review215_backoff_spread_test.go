package store

import (
	"testing"
	"time"
)

// README, Task semantics: "a task's --backoff D ... for a D of 5 min or
// more keeps it at D to 1.2 D", spread by the jitter (0fd8897: tasks
// failing together must not retry all at once). Past the first retry the
// delay is the cap less the jitter, floored at D: a jitter draw above 5/6
// gave exactly D, so a sixth of such tasks (half of those with a D of
// 4.5 min under the 5 min cap) still retried at one instant.
func TestBackoffPastTheCapHasNoSingleInstant(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		rand []float64
	}{
		{time.Hour, []float64{0.85, 0.9, 0.95, 0.99}},       // above the cap: its retries D to 1.2 D apart
		{270 * time.Second, []float64{0.6, 0.7, 0.8, 0.99}}, // just under it
	} {
		seen := map[time.Duration]float64{}
		for _, r := range tc.rand {
			b := Backoff{Rand: func() float64 { return r }}.For(&Task{Backoff: MillisOf(tc.d)})
			got := b.Delay(3)
			if got < tc.d || got > tc.d+tc.d/5 {
				t.Errorf("backoff %v, jitter %v: after attempt 3 %v, want %v to %v", tc.d, r, got, tc.d, tc.d+tc.d/5)
			}
			if other, ok := seen[got]; ok {
				t.Errorf("backoff %v: jitter %v and %v both wait %v: tasks failing together retry together", tc.d, other, r, got)
			}
			seen[got] = r
		}
	}
}
