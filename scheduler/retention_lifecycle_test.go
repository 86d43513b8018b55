package scheduler

import (
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// TestResultIsKeptForTheRetentionFromWhenItCame: README promises a result
// is kept for --result-retention "from submit, or from when the result came
// if that was later". A result marks its bucket (and so is aged from when
// it came) only when it finishes more than store.LateResult (a minute)
// after its bucket's one-second window; any task that runs under about a
// minute is aged from its submit time instead. With --result-retention 1m,
// a task that ran 55 s has its result pruned 10 s after it came, before a
// script's `drover status`/`wait` reads it, 50 s before the retention says.
func TestResultIsKeptForTheRetentionFromWhenItCame(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	lay := st.Layout()
	now := time.Now()
	// Submitted 55 s ago, its result came now.
	id := finished(t, st, now.Add(-55*time.Second), now, store.StateSucceeded)
	later := now.Add(10 * time.Second) // 10 s after the result came
	l, _, _ := termOf(t, st, func(c *Config) {
		c.ResultRetention = time.Minute
		c.Now = func() time.Time { return later }
		c.zookeeperAhead = time.Until(later) // and ZooKeeper's with it
	})
	if err := l.pruneResults(); err != nil {
		t.Fatal(err)
	}
	if ok, _, err := st.Exists(lay.Result(id)); err != nil || !ok {
		t.Fatalf("a result that came 10 s ago was pruned with --result-retention 1m (exists %v, %v): it was aged from its task's submit 65 s ago", ok, err)
	}
}
