package scheduler

import (
	"errors"
	"path"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// TestReview135FarFutureStartByIsNotPast: a queued slot task whose
// start_by is far in the future (year 2300, written by hand, or by a
// schedule with a starting deadline of centuries) is cancelled at once as
// "not started by its starting deadline". bindStartBy keeps the deadline
// as Unix nanoseconds (StartBy.UnixNano), which an int64 holds only up to
// the year 2262: year 2300 wraps to a time before 1970, so pastStartBy
// finds the deadline long gone, and expireStartBy ends a task that had
// centuries left, never run. A time past the int64 range must be either
// read as it is (never past) or refused as malformed and moved aside, not
// taken for one in the past.
func TestReview135FarFutureStartByIsNotPast(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	lay := st.Layout()
	item := rawQueued(t, st, map[string]any{"start_by": time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)})
	id := path.Base(item)
	w := registerWorker(t, root, "w1", 10, nil)
	runScheduler(t, st, "s1")
	var res *store.Task
	drovertest.WaitFor(t, 20*time.Second, "the task placed or ended", func() bool {
		if len(w.assignments(t)) > 0 {
			return true
		}
		data, _, err := st.Get(lay.Result(id))
		if errors.Is(err, store.ErrNoNode) {
			return false
		}
		if err != nil {
			t.Fatal(err)
		}
		if res, err = store.DecodeTask(data); err != nil {
			t.Fatal(err)
		}
		return true
	})
	if res != nil {
		t.Fatalf("task with start_by in the year 2300 ended %s (%q) without running: its StartBy in Unix nanoseconds wraps past the year 2262 to a time long past",
			res.State, res.Error)
	}
}

// TestReview135LongStartingDeadlineDoesNotCancelEverySlot is the same
// wrap reached through the client: `drover schedule add
// --starting-deadline 2200000h` (some 251 years, a duration the client
// accepts: it refuses only negative ones and ones under 1ms) makes each
// slot's task start_by the slot plus 251 years, past 2262: the leader
// takes it for a deadline long gone and cancels every slot's task
// unplaced, while a worker is free.
func TestReview135LongStartingDeadlineDoesNotCancelEverySlot(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	lay := st.Layout()
	w := registerWorker(t, root, "w1", 10, nil)
	addSchedule(t, st, &store.Schedule{Name: "long-deadline", Cron: "* * * * * *", Concurrency: store.ConcurrencyAllow,
		StartingDeadline: store.MillisOf(2200000 * time.Hour)})
	runScheduler(t, st, "s1")
	var cancelled *store.Task
	drovertest.WaitFor(t, 20*time.Second, "a slot's task placed or ended", func() bool {
		if len(w.assignments(t)) > 0 {
			return true
		}
		kids, err := st.Children(lay.Results())
		if err != nil {
			t.Fatal(err)
		}
		for _, b1 := range kids {
			b2s, _ := st.Children(lay.Results() + "/" + b1)
			for _, b2 := range b2s {
				ids, _ := st.Children(lay.ResultBucket(b1, b2))
				for _, id := range ids {
					data, _, err := st.Get(lay.ResultBucket(b1, b2) + "/" + id)
					if err != nil {
						continue
					}
					if res, err := store.DecodeTask(data); err == nil {
						cancelled = res
						return true
					}
				}
			}
		}
		return false
	})
	if cancelled != nil {
		t.Fatalf("slot task of a schedule with a starting deadline of 2,200,000h ended %s (%q), start_by %v, never placed though a worker was free: "+
			"the deadline past 2262 wraps in Unix nanoseconds", cancelled.State, cancelled.Error, cancelled.StartBy)
	}
}
