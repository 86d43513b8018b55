package scheduler

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// orphanAssignment writes, as a gone worker's leftover, an assignment that
// recoverAttempt cannot queue again as it stands: mod makes it so.
func orphanAssignment(t *testing.T, st *store.Store, worker string, mod func(*store.Task)) string {
	t.Helper()
	task := &store.Task{ID: ulid.Make().String(), Cmd: []string{"true"}, SubmittedAt: time.Now().UTC(),
		State: store.StateAssigned, Attempt: 1, Worker: worker, Reg: 1, AssignedAt: time.Now().UTC()}
	mod(task)
	data, err := store.Encode(task)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.EnsurePath(st.Layout().WorkerTasks(worker)); err != nil {
		t.Fatal(err)
	}
	p := st.Layout().Assignment(worker, task.ID, 1)
	if err := st.Create(p, data); err != nil {
		t.Fatal(err)
	}
	return p
}

// An assignment left by a worker that is gone, which cannot be queued again
// as it stands, must not stop the leader: it is moved aside and other work
// is placed. An error from building the recovery transaction (store.Txn.
// Enqueue refused a gen past store.MaxGen, which the codec now refuses as
// malformed; store.Encode refuses a record the lost attempt takes past
// store.MaxRecordSize) was fatal to the term: syncOrphanTaskDirs failed at
// the start of every term, each leader stepped down before placing
// anything, and the schedulers campaigned, bumped the epoch and stepped
// down again in a loop with no pause. (Found by review.)
func TestOddOrphanAssignmentDoesNotStopTheLeader(t *testing.T) {
	cases := map[string]func(*store.Task){
		"gen past MaxGen": func(task *store.Task) { task.Gen = store.MaxGen + 1 },
		"record at the size limit": func(task *store.Task) {
			// The largest payload that still encodes: the lost attempt
			// recoverAttempt appends takes the record past the limit.
			lo, hi := 0, store.MaxRecordSize
			for lo < hi {
				mid := (lo + hi + 1) / 2
				task.Payload = make([]byte, mid)
				if _, err := store.Encode(task); err == nil {
					lo = mid
				} else {
					hi = mid - 1
				}
			}
			task.Payload = make([]byte, lo)
		},
	}
	for name, mod := range cases {
		t.Run(strings.ReplaceAll(name, " ", "_"), func(t *testing.T) {
			root := drovertest.NewRoot()
			st := drovertest.OpenStore(t, root)
			odd := orphanAssignment(t, st, "gone", mod)
			w := registerWorker(t, root, "w", 4, nil)
			s, _ := runScheduler(t, st, "s1")
			ids := submit(t, st, 1, nil)
			drovertest.WaitFor(t, 10*time.Second, "the submitted task placed", func() bool {
				for _, a := range w.assignments(t) {
					if strings.HasPrefix(a, ids[0]) {
						return true
					}
				}
				return false
			})
			waitGone(t, st, 10*time.Second, odd)
			if s.Epoch() != 1 {
				t.Fatalf("epoch %d, want the first term still", s.Epoch())
			}
		})
	}
}

// An assignment the leader counts that turns malformed (written over: a
// hand edit, a bad disk) and outlives its task's timeout is moved aside, as
// withdrawOverdue's comment promises: "the next relist quarantines it". No
// relist does: a listing reads only the names the view does not count
// already (applyTaskList keeps a counted name's deadline without reading
// it), so the record stays for as long as the worker lives, holds a slot of
// its capacity, and the leader reads it again every second. (Found by review.)
func TestOverdueAssignmentWrittenOverIsMovedAside(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	runScheduler(t, st, "s1", func(c *Config) { c.TimeoutGrace = 100 * time.Millisecond })
	stuck := registerWorker(t, root, "stuck", 1, nil) // never runs anything
	ids := submit(t, st, 1, func(_ int, task *store.Task) { task.Timeout = store.MillisOf(time.Second) })
	drovertest.WaitFor(t, 10*time.Second, "placed on stuck", func() bool { return len(stuck.assignments(t)) == 1 })
	p := st.Layout().Assignment("stuck", ids[0], 1)
	if _, err := st.Set(p, []byte("written over"), -1); err != nil {
		t.Fatal(err)
	}
	waitGone(t, st, 15*time.Second, p)
}

// A term that ends while ZooKeeper is out of reach for a moment (the
// session lives on) cannot delete its election znode: Resign's delete
// failed and nothing tried it again. Scheduler.Run then campaigned again
// on the same session: the new znode stood behind the old one, which this
// very session kept alive, and the candidate watched its own znode for
// good; every other candidate stood behind one of the two, and no
// scheduler led until this process's session ended. The store now
// deletes it once connected, and the next campaign waits for that
// (store.Abandon). (Found by review.)
func TestCampaignAfterAResignThatFailedLeads(t *testing.T) {
	root := drovertest.NewRoot()
	px := drovertest.StartProxy(t, drovertest.Addr())
	st := drovertest.OpenStoreFor(t, px.Addr(), root, 10*time.Second)
	e := NewElection(st, "s1", drovertest.Logger(t))
	term, err := e.Campaign(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	px.Cut(true) // out of reach as the term ends
	if err := term.Resign(); err == nil {
		t.Fatal("resign succeeded while cut off")
	}
	px.Cut(false) // back well within the session timeout
	if _, err := st.CurrentSession(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	again, err := e.Campaign(ctx)
	if err != nil {
		line, _ := st.Candidates()
		t.Fatalf("the only candidate does not lead again: %v (line %+v)", err, line)
	}
	_ = again.Resign()
}
