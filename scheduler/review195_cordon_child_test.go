package scheduler

import (
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
)

// A hand-made cordon named for no worker id, with a znode put under it, is
// moved aside whole (ARCHITECTURE: a record with a znode under it is moved
// aside like any other), and the leader places work meanwhile.
func TestReview195HandMadeCordonOfNoWorkerIDWithAChild(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	bad := st.Layout().Cordons() + "/bad..name"
	if err := st.Create(bad, []byte("junk")); err != nil {
		t.Fatal(err)
	}
	if err := st.Create(bad+"/kid", nil); err != nil {
		t.Fatal(err)
	}
	b := registerWorker(t, root, "b", 4, nil)
	submit(t, st, 1, nil)
	s, _ := runScheduler(t, drovertest.OpenStore(t, root), "s1")
	drovertest.WaitFor(t, 15*time.Second, "the task placed on b", func() bool { return len(b.assignments(t)) == 1 })
	drovertest.WaitFor(t, 15*time.Second, "the junk cordon moved aside", func() bool {
		ok, _, err := st.Exists(bad)
		return err == nil && !ok
	})
	drovertest.WaitFor(t, 5*time.Second, "no cordon counted", func() bool { return s.Stats().Cordons == 0 })
}
