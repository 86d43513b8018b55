package scheduler

import (
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
)

// TestReview135QueuedRecordThatCannotBeWrittenIsMovedAside: a queue item
// whose submitted_at carries a +24:00 offset decodes (DecodeTask checks
// no time), but its assignment cannot be encoded (Time.MarshalJSON
// refuses the offset). The placement fails with json's error, commitEach
// logs "placement rejected; re-reading the queue item" and puts it back,
// and the next pass tries it again: it is never moved aside, and the
// leader tries and warns about it at every pass, for good.
func TestReview135QueuedRecordThatCannotBeWrittenIsMovedAside(t *testing.T) {
	// +23:60 too: the parser takes minutes to 60 (review136).
	for _, offset := range []string{"+24:00", "+23:60"} {
		t.Run(offset, func(t *testing.T) {
			root := drovertest.NewRoot()
			st := drovertest.OpenStore(t, root)
			item := rawQueued(t, st, map[string]any{"submitted_at": at24(time.Now(), offset)})
			w := registerWorker(t, root, "w1", 10, nil)
			good := submit(t, st, 3, nil)
			runScheduler(t, st, "s1")
			drovertest.WaitFor(t, 20*time.Second, "the good tasks placed", func() bool { return len(w.assignments(t)) >= len(good) })
			ok := drovertest.Eventually(10*time.Second, func() bool {
				exists, _, err := st.Exists(item)
				return err == nil && !exists
			})
			if !ok {
				t.Fatalf("queue item %s whose submitted_at is at %s still queued (deadlettered: %v): its placement fails to encode the record, and it is re-read and tried again at every pass",
					item, offset, deadletterFrom(t, st, item))
			}
		})
	}
}
