package scheduler

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// skewedClock is a host's wall clock off by an offset that a test can step,
// as NTP does, or set apart from another host's.
type skewedClock struct{ off atomic.Int64 }

func (c *skewedClock) now() time.Time        { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *skewedClock) step(by time.Duration) { c.off.Add(int64(by)) }

// An attempt with a 5 minute timeout that has run for a second is not
// overdue, whatever the leader's wall clock says: the worker keeps to the
// timeout on its monotonic clock, and README promises the leader counts it
// "from its start, as the worker counts it, by ZooKeeper's clock". The
// leader counts it from the record's assigned_at, written by the wall clock
// of the leader that placed it, against its own wall clock now: a leader
// whose clock NTP steps 10 minutes forward, or a takeover by a scheduler
// whose host is 10 minutes ahead, withdraws every running attempt with a
// timeout under that as failed (its worker still running it; a retry would
// run it twice at once).
//
// A control attempt with a 1 s timeout, placed after the step, is withdrawn
// once it is really overdue: by then the leader has checked the first one
// against the stepped clock in the same or an earlier pass.
func TestOverdueIsNotTakenFromAWallClockStepOrSkew(t *testing.T) {
	const skew = 10 * time.Minute
	for _, takeover := range []bool{false, true} {
		name := "leader's clock steps forward"
		if takeover {
			name = "takeover by a leader whose clock is ahead"
		}
		t.Run(name, func(t *testing.T) {
			root := drovertest.NewRoot()
			st := drovertest.OpenStore(t, root)
			var c1, c2 skewedClock
			grace := func(c *skewedClock) func(*Config) {
				return func(cfg *Config) { cfg.TimeoutGrace, cfg.Now = 100*time.Millisecond, c.now }
			}
			s1, stop1 := runScheduler(t, drovertest.OpenStore(t, root), "s1", grace(&c1))
			drovertest.WaitFor(t, 10*time.Second, "s1 leads", s1.IsLeader)
			w1 := registerWorker(t, root, "w1", 1, map[string]string{"pool": "long"})
			ids := submit(t, st, 1, func(_ int, task *store.Task) {
				task.Timeout, task.On = store.MillisOf(5*time.Minute), map[string]string{"pool": "long"}
			})
			drovertest.WaitFor(t, 10*time.Second, "placed on w1", func() bool { return len(w1.assignments(t)) == 1 })
			placed := st.Layout().Assignment("w1", ids[0], 1)
			if takeover {
				s2, _ := runScheduler(t, drovertest.OpenStore(t, root), "s2", grace(&c2))
				c2.step(skew)
				stop1() // resigns: s2 leads
				drovertest.WaitFor(t, 15*time.Second, "s2 leads", s2.IsLeader)
			} else {
				c1.step(skew)
			}
			w2 := registerWorker(t, root, "w2", 1, map[string]string{"pool": "short"})
			control := submit(t, st, 1, func(_ int, task *store.Task) {
				task.Timeout, task.On = store.MillisOf(time.Second), map[string]string{"pool": "short"}
			})
			drovertest.WaitFor(t, 10*time.Second, "control placed on w2", func() bool { return len(w2.assignments(t)) == 1 })
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			if _, err := st.WaitResult(ctx, control[0]); err != nil {
				t.Fatalf("the control attempt (1 s timeout) was not withdrawn: %v", err)
			}
			ok, _, err := st.Exists(placed)
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				got, loc, _ := st.LookupTask(ids[0])
				t.Fatalf("an attempt with a 5m timeout, a few seconds into its run, was withdrawn after the leader's wall clock read %v ahead: now at %s, error %q",
					skew, loc.Path, got.Error)
			}
		})
	}
}
