package bench

import (
	"math"
	"testing"
)

// pct says it is the nearest-rank percentile: the value of rank
// ceil(p/100 × n). Rounding p/100 × n to the nearest integer instead gives
// one rank too low whenever its fraction is below one half: the p99 of 60
// cron delays (cron_delay_p99_ms with --duration 60s) was the second
// largest, not the largest.
func TestPctNearestRank(t *testing.T) {
	for _, tc := range []struct {
		n int
		p float64
	}{{60, 99}, {51, 99}, {99, 99}, {6, 90}, {10, 95}, {200, 99}, {200, 50}, {5, 50}, {7, 100}} {
		xs := make([]float64, tc.n)
		for i := range xs {
			xs[i] = float64(tc.n - i) // 1..n, reversed: pct sorts
		}
		want := math.Ceil(tc.p / 100 * float64(tc.n)) // rank k holds the value k
		if got := pct(xs, tc.p); got != want {
			t.Errorf("pct of 1..%d at %v: %v, want %v (nearest rank)", tc.n, tc.p, got, want)
		}
	}
}
