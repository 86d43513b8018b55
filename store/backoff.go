package store

import (
	"math"
	"math/rand/v2"
	"time"
)

// Backoff is the delay before a failed attempt's retry: Base doubled per
// attempt, plus up to 20% jitter so retries of many tasks that failed
// together do not arrive together, and at most Max (there the jitter goes
// below it). Workers apply it to the attempts
// that fail on them, the leader to the attempts it withdraws past their
// timeout.
type Backoff struct {
	// Base is the first delay; default 1s.
	Base time.Duration
	// Max caps the delay; default 5m.
	Max time.Duration
	// Rand returns a number in [0,1) for jitter; default math/rand/v2.
	Rand func() float64
}

// MaxTaskBackoff bounds a task's own first retry delay (Task.Backoff):
// work to run again days later is a schedule's.
const MaxTaskBackoff = 24 * time.Hour

// For is b as task t asks it (Task.Backoff, its own first delay), b
// itself when t asks nothing. A first delay at or above b's cap becomes
// the cap, with a fifth more room for the jitter: its retries come D to
// 1.2 D apart, spread, not all at D.
func (b Backoff) For(t *Task) Backoff {
	base := t.Backoff.Duration()
	if base <= 0 {
		return b
	}
	maxD := b.Max
	if maxD <= 0 {
		maxD = 5 * time.Minute
	}
	if base >= maxD {
		maxD = base + base/5
	}
	return Backoff{Base: base, Max: maxD, Rand: b.Rand}
}

// Delay is the wait after attempt (1-based) failed.
func (b Backoff) Delay(attempt int) time.Duration {
	base, maxD, rnd := b.Base, b.Max, b.Rand
	if base <= 0 {
		base = time.Second
	}
	if maxD <= 0 {
		maxD = 5 * time.Minute
	}
	if rnd == nil {
		rnd = rand.Float64
	}
	d := base
	for i := 1; i < attempt && d < maxD; i++ {
		if d > math.MaxInt64/2 {
			d = maxD // doubled, it would overflow
			break
		}
		d *= 2
	}
	d = min(d, maxD)
	r := rnd()
	jitter := time.Duration(float64(d) * 0.2 * r)
	if jitter > math.MaxInt64-d || jitter < 0 {
		return math.MaxInt64 // centuries: the jitter would overflow
	}
	if d+jitter <= maxD {
		return d + jitter
	}
	// Past the cap the jitter goes below it: never past Max (a retry
	// waited up to 6 min of a 5 min cap), still spread, and never under
	// the first delay: over a fifth of the cap, or less where the first
	// delay is that close to it (not clamped to it, which put every draw
	// past a threshold at one instant).
	span := min(maxD/5, maxD-min(base, maxD))
	return maxD - time.Duration(float64(span)*r)
}
