package store

import (
	"testing"
	"time"
)

// docs/FAILURES.md, a worker out of open files, processes or memory: "its
// retry waits a backoff by the losses since the last `drover retry` (1 s,
// 2 s, 4 s … plus up to 20 % jitter, at most 5 min)"; README, Task
// semantics: "an exponential backoff (1 s, 2 s, 4 s … capped at 5 min,
// with jitter)".
//
// Backoff.Delay, which both the workers (failures, such losses) and the
// leader (withdrawn attempts) use with the defaults, caps the doubling at
// 5 min and adds the jitter after the cap: a retry past the ninth failure
// or loss waits up to 6 min, not at most 5. (The docs should say "5 min
// plus up to 20 %", or the jitter should stay under the cap.)
func TestBackoffDefaultsStayWithinFiveMinutes(t *testing.T) {
	b := Backoff{Rand: func() float64 { return 0.99 }} // the defaults, jitter near its top
	for _, n := range []int{9, 10, 20} {
		if got := b.Delay(n); got > 5*time.Minute {
			t.Fatalf("backoff after %d failures or losses: %v, past the documented 5 min at most", n, got)
		}
	}
}
