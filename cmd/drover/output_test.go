package main

import (
	"testing"
	"time"
)

// A time still to come (a submitting host's clock ahead of this one's, or a
// year-9999 result) printed as "-5s ago".
func TestAgoOfATimeToCome(t *testing.T) {
	if got := ago(time.Now().Add(5*time.Second + 200*time.Millisecond)); got != "in 5s" {
		t.Errorf("5s ahead: %q, want %q", got, "in 5s")
	}
	if got := ago(time.Now().Add(-90 * time.Second)); got != "1m30s ago" {
		t.Errorf("90s back: %q", got)
	}
	if got := ago(time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)); got[:3] != "in " {
		t.Errorf("year 9999: %q", got)
	}
}
