package main

import (
	"strings"
	"testing"
	"time"
)

// Commit 18a5003 prints a time still to come as "in 5s", and names a
// year-9999 result as the case. For such a time time.Since saturates at the
// smallest Duration, whose negation overflows back to itself: ago prints
// "in -2562047h47m16.854775808s", a negative "in". (TestAgoOfATimeToCome
// checks only the "in " prefix.)
func TestReview125AgoOfAFarFutureTimeIsNotNegative(t *testing.T) {
	for _, ts := range []time.Time{
		time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Now().AddDate(300, 0, 0), // past time.Duration's 292 years
	} {
		if got := ago(ts); !strings.HasPrefix(got, "in ") || strings.Contains(got, "-") {
			t.Errorf("ago(%v) = %q: a time to come said as a negative duration", ts, got)
		}
	}
}
