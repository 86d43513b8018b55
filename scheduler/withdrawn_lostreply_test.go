package scheduler

import (
	"context"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// A withdrawal (a lost worker's attempt queued again) that commits with its
// reply lost is counted in drover_attempts_withdrawn_total once the rebuilt
// view finds it landed; it went uncounted, as lost-reply placements and
// firings did (review123).
func TestWithdrawalCommittedWithItsReplyLostIsCounted(t *testing.T) {
	c := newLostReplyCluster(t)
	st := c.st
	s, w := c.runWithWorker(t)
	id := ulid.Make().String()
	if _, err := st.Submit(context.Background(), []*store.Task{{ID: id, Cmd: []string{"true"}, SubmittedAt: time.Now().UTC()}}); err != nil {
		t.Fatal(err)
	}
	drovertest.WaitFor(t, 10*time.Second, "placed on w", func() bool { return len(w.assignments(t)) == 1 })
	// The worker goes; the leader queues its attempt again, and that
	// write's reply, and every one after it, is lost until the cut.
	requeued := st.Layout().QueueItem(id)
	c.px.DropRepliesAfter([]byte(requeued))
	w.st.Close()
	drovertest.WaitFor(t, 15*time.Second, "the withdrawal committed, its reply dropped", func() bool {
		ok, _, err := st.Exists(requeued)
		return err == nil && ok && c.px.Dropping()
	})
	c.blip(t, s)
	if got := s.Stats().Recovered; got != 1 {
		t.Fatalf("drover_attempts_withdrawn_total = %d after the one withdrawal, whose reply was lost: want 1", got)
	}
}
