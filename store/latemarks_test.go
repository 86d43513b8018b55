package store

import (
	"testing"
	"time"
)

// A result finished before the last mark (its writer's clock stepped back)
// is not recent: it marks the bucket again.
func TestLateMarksRecent(t *testing.T) {
	var m lateMarks
	at := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	m.committed(map[string]lateMark{"b": {at: at}})
	for _, c := range []struct {
		at   time.Time
		want bool
	}{
		{at, true}, {at.Add(30 * time.Second), true}, {at.Add(LateResult), false},
		{at.Add(-time.Second), false}, {at.Add(-time.Hour), false},
	} {
		if got := m.recent("b", c.at); got != c.want {
			t.Errorf("recent at mark%+v = %v, want %v", c.at.Sub(at), got, c.want)
		}
	}
	if m.recent("other", at) {
		t.Error("a bucket never marked is recent")
	}
}
