package worker

import (
	"context"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// A live worker's registration whose data is overwritten with garbage is
// malformed: the leader moves it to deadletter (deleting the ephemeral
// znode) and re-queues what ran there. The worker never learns that its
// registration went, as it watches only its assignment directory and its
// session: it stays up, unregistered, and runs nothing again until its
// process restarts. One bad record takes a whole worker out of the
// cluster, silently; it should register again, as it does when its
// session is lost.
func TestWorkerRegistersAgainAfterItsMalformedRegistrationIsMovedAside(t *testing.T) {
	root := drovertest.NewRoot()
	startScheduler(t, root, "s1")
	w, st, _ := startWorker(t, root, "w1", nil)
	first := submitCmd(t, st, 1, nil)[0]
	if got := result(t, st, first); got.State != store.StateSucceeded {
		t.Fatalf("task before: %+v", got)
	}
	reg := st.Layout().Worker("w1")
	if _, err := st.Set(reg, []byte("not json"), -1); err != nil {
		t.Fatal(err)
	}
	drovertest.WaitFor(t, 10*time.Second, "the malformed registration moved aside", func() bool {
		kids, err := st.Children(st.Layout().Deadletter())
		return err == nil && len(kids) == 1
	})
	after := submitCmd(t, st, 1, nil)[0]
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	got, err := st.WaitResult(ctx, after)
	if err != nil {
		ok, _, _ := st.Exists(reg)
		t.Fatalf("no task runs after the registration was moved aside (worker %s registered: %v, reg %d): %v",
			w.cfg.ID, ok, w.Reg(), err)
	}
	if got.State != store.StateSucceeded {
		t.Fatalf("task after: %+v", got)
	}
}
