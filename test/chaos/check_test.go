package chaos

import (
	"slices"
	"testing"
)

// TestRunChecks: the run log's checks see an attempt run on two workers, and
// the last attempt of each task, over lines a test run would write.
func TestRunChecks(t *testing.T) {
	runs := map[string]int{
		"T1 1 worker-1": 1,
		"T1 1 worker-2": 1, // attempt 1 placed twice
		"T2 1 worker-1": 1,
		"T2 2 worker-3": 1, // withdrawn, then run again
		"T3 1 worker-2": 2, // ran twice on one worker: the count's to see
		"T4 1":          1, // a torn line is no attempt
	}
	by := workersByAttempt(runs)
	for k, who := range by {
		slices.Sort(who)
		switch k {
		case "T1 1":
			if !slices.Equal(who, []string{"worker-1", "worker-2"}) {
				t.Errorf("T1 1 ran on %v, want worker-1 and worker-2", who)
			}
		default:
			if len(who) != 1 {
				t.Errorf("%s ran on %v, want one worker", k, who)
			}
		}
	}
	if _, ok := by["T4 1"]; ok {
		t.Errorf("a torn line counted as an attempt")
	}
	last := lastAttempts(runs)
	want := map[string]int{"T1": 1, "T2": 2, "T3": 1}
	for id, n := range want {
		if last[id] != n {
			t.Errorf("last attempt of %s = %d, want %d", id, last[id], n)
		}
	}
	if len(last) != len(want) {
		t.Errorf("last attempts %v, want %v", last, want)
	}
}
