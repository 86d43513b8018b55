package scheduler

import (
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
)

// TestReview135QueuedAttemptPastInt32IsMovedAside: a queue item whose
// "attempt" is past what an int32 holds (written by hand, or by a release
// with another bound) decodes (checkDecoded bounds it below only), and the
// leader's index of it (queued.attempt, int32) truncates it. A record the
// view does not keep (over maxKeptRecord: a large env) is read again at
// placement, where fill compares the record's attempt with the truncated
// one, finds them unequal and fails with errRecordChanged; commitEach logs
// "placement rejected; re-reading the queue item" and puts the same item
// back in the ready queue, truncated again. So the item is never moved to
// deadletter (FAILURES.md: malformed data is moved aside, logged, once): it
// is tried, and warned about, at every placement pass for good, and each
// pass's batch is split into one transaction per task.
func TestReview135QueuedAttemptPastInt32IsMovedAside(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	item := rawQueued(t, st, map[string]any{
		"env": map[string]string{"BIG": strings.Repeat("x", 20<<10)}, "attempt": int64(1)<<32 + 1,
	})
	w := registerWorker(t, root, "w1", 10, nil)
	good := submit(t, st, 3, nil)
	runScheduler(t, st, "s1")
	drovertest.WaitFor(t, 20*time.Second, "the good tasks placed", func() bool { return len(w.assignments(t)) >= len(good) })
	ok := drovertest.Eventually(10*time.Second, func() bool {
		exists, _, err := st.Exists(item)
		return err == nil && !exists
	})
	if !ok {
		t.Fatalf("queue item %s with attempt 2^32+1 still queued (deadlettered: %v), assignments %v: "+
			"the leader truncates the attempt to int32 in its view, fill takes the record for a changed one, and it is re-read and retried at every pass, never moved aside",
			item, deadletterFrom(t, st, item), w.assignments(t))
	}
}
