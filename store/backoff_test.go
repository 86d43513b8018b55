package store

import (
	"math"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	b := Backoff{Base: time.Second, Max: 10 * time.Second, Rand: func() float64 { return 0 }}
	for attempt, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 8 * time.Second, 5: 10 * time.Second, 50: 10 * time.Second} {
		if got := b.Delay(attempt); got != want {
			t.Errorf("attempt %d: %v, want %v", attempt, got, want)
		}
	}
	b.Rand = func() float64 { return 0.999 }
	if got := b.Delay(1); got <= time.Second || got > 1200*time.Millisecond {
		t.Errorf("jitter: %v", got)
	}
	if got := (Backoff{Rand: func() float64 { return 0 }}).Delay(1); got != time.Second {
		t.Errorf("default base: %v", got)
	}
}

// Delays of centuries, set through the Go API, do not overflow into
// negative ones (a doubling or the jitter went past the longest duration).
func TestBackoffDoesNotOverflow(t *testing.T) {
	const year = 365 * 24 * time.Hour
	for _, b := range []Backoff{
		{Base: 100 * year, Max: math.MaxInt64, Rand: func() float64 { return 0.99 }},
		{Base: 250 * year, Max: 250 * year, Rand: func() float64 { return 0.99 }},
	} {
		for _, attempt := range []int{1, 2, 5, 64} {
			if got := b.Delay(attempt); got < b.Base {
				t.Errorf("%+v attempt %d: %v, want at least the base", b, attempt, got)
			}
		}
	}
}

// A task's own backoff replaces the cluster's first delay, and raises the
// cap to it when above; a task without one keeps the cluster's.
func TestBackoffForATask(t *testing.T) {
	none := func() float64 { return 0 }
	cluster := Backoff{Base: 10 * time.Millisecond, Max: time.Minute, Rand: none}
	if got := cluster.For(&Task{}); got.Base != cluster.Base || got.Max != cluster.Max {
		t.Errorf("a task without its own backoff: %+v, want the cluster's %+v", got, cluster)
	}
	b := cluster.For(&Task{Backoff: MillisOf(20 * time.Second)})
	for attempt, want := range map[int]time.Duration{1: 20 * time.Second, 2: 40 * time.Second, 3: time.Minute, 9: time.Minute} {
		if got := b.Delay(attempt); got != want {
			t.Errorf("backoff 20s, cap 1m: after attempt %d %v, want %v", attempt, got, want)
		}
	}
	// A first delay over the cap is the cap, its retries spread over D to
	// 1.2 D by the jitter (review214: all came exactly D apart).
	seen := map[time.Duration]bool{}
	for _, r := range []float64{0, 0.5, 0.99} {
		long := Backoff{Base: cluster.Base, Max: cluster.Max, Rand: func() float64 { return r }}.For(&Task{Backoff: MillisOf(time.Hour)})
		for attempt := 1; attempt <= 5; attempt++ {
			got := long.Delay(attempt)
			if got < time.Hour || got > 72*time.Minute {
				t.Errorf("backoff 1h over a cap of 1m, jitter %v: after attempt %d %v, want 1h to 1h12m", r, attempt, got)
			}
			seen[got] = true
		}
	}
	if len(seen) < 3 {
		t.Errorf("backoff 1h over a cap of 1m: delays %v, want them spread by the jitter", seen)
	}
	if got := (Backoff{Rand: none}).For(&Task{Backoff: MillisOf(time.Second)}).Delay(20); got != 5*time.Minute {
		t.Errorf("backoff 1s under the default cap: after attempt 20 %v, want 5m", got)
	}
}
