package scheduler

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// README, `--priority low|normal|high`, and the product contract
// (DESIGN.md): "priority high > normal > low, FIFO within a priority".
//
// Two `drover submit` of normal priority, from two hosts: the first from a
// host whose clock runs a minute ahead, the second, after it was
// acknowledged, from a host on time. A task's id is a ULID made from the
// submitting host's clock (store.NewTaskID), and the leader orders a
// priority by id (readyFirst), so the task submitted second is placed
// first: a client whose clock is behind jumps the queue by its skew, one
// ahead waits behind everything submitted during it. (`schedule add`,
// `resume` and `trigger` already take ZooKeeper's clock for this reason;
// the queue item's czxid is the order the tasks were accepted in.)
func TestFIFOWithinAPriorityFollowsSubmitOrderNotClientClocks(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	runScheduler(t, st, "s1")

	// What the client on the host a minute ahead writes: an id of its time.
	ahead := time.Now().Add(time.Minute)
	first := &store.Task{ID: ulid.MustNew(ulid.Timestamp(ahead), rand.Reader).String(), Cmd: []string{"true"},
		SubmittedAt: ahead.UTC(), Attempt: 1, State: store.StateQueued}
	if _, err := st.Submit(context.Background(), []*store.Task{first}); err != nil {
		t.Fatal(err)
	}
	// Acknowledged; then the host on time submits.
	second := submit(t, st, 1, nil)[0]

	w := registerWorker(t, root, "w", 1, nil)
	drovertest.WaitFor(t, 10*time.Second, "one task placed", func() bool { return len(w.assignments(t)) == 1 })
	if got := w.assignments(t)[0]; got != store.AssignmentName(first.ID, 1) {
		t.Fatalf("placed %s first: the task submitted second (%s) went before the one submitted first (%s), whose host's clock runs a minute ahead; want FIFO within a priority",
			got, second, first.ID)
	}
}
