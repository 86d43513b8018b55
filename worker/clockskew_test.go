package worker

import (
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// A failed attempt's retry waits out the backoff (here 4 s), neither more
// nor less, whatever the worker host's wall clock says. The worker writes
// the retry's not_before as its own wall clock plus the backoff, and the
// leader compares it with its own wall clock: a worker whose clock is 10
// minutes ahead holds every retry back 10 minutes more (an hour ahead, an
// hour), and one 10 minutes behind retries at once, with no backoff at all.
// Hosts that disagree by minutes are the common case the leader must not
// trust (it reads ZooKeeper's clock elsewhere for that reason).
//
// The gap is measured on the worker's own records, attempt 1's end to
// attempt 2's start: both by the same skewed clock, so the skew cancels out.
func TestRetryBackoffIsNotMovedByTheWorkersClock(t *testing.T) {
	const backoff = 4 * time.Second
	for _, skew := range []time.Duration{10 * time.Minute, -10 * time.Minute} {
		name := "worker clock ahead"
		if skew < 0 {
			name = "worker clock behind"
		}
		t.Run(name, func(t *testing.T) {
			root := drovertest.NewRoot()
			startScheduler(t, root, "s1")
			startWorker(t, root, "w1", func(c *Config) {
				c.Now = func() time.Time { return time.Now().Add(skew) }
				c.Backoff = Backoff{Base: backoff, Max: backoff}
			})
			st := drovertest.OpenStore(t, root)
			ids := submitCmd(t, st, 1, func(task *store.Task) {
				task.Shell, task.Retries = true, 1
				task.Cmd = []string{`[ "$DROVER_ATTEMPT" = 2 ]`}
			})
			got := result(t, st, ids[0]) // waits 20 s: five times the backoff
			if got.State != store.StateSucceeded || len(got.History) != 2 {
				t.Fatalf("result %+v", got)
			}
			gap := got.History[1].StartedAt.Sub(got.History[0].FinishedAt)
			if gap < backoff {
				t.Fatalf("attempt 2 started %v after attempt 1 failed, under the %v backoff (worker clock %v off)", gap, backoff, skew)
			}
		})
	}
}
