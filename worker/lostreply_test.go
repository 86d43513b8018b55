package worker

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/scheduler"
	"github.com/drover-sched/drover/store"
)

// A running mark or a report that ZooKeeper applied but whose reply was
// lost (the connection cut after the request left) is recognised when the
// worker is back on the same session: the attempt runs once, its outcome is
// filed once, and nothing of it is left in the worker's directory.
func TestLostReplyOnTheSameSession(t *testing.T) {
	for _, c := range []struct {
		name string
		fail bool // the command fails, with a retry left: the report queues attempt 2
		lose func(lay store.Layout, id string) string
	}{
		{name: "running mark", lose: func(store.Layout, string) string { return `"state":"running"` }},
		{name: "report", lose: func(lay store.Layout, id string) string { return lay.Result(id) }},
		{name: "report of a retry", fail: true, lose: func(lay store.Layout, id string) string { return lay.QueueItem(id) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			root := drovertest.NewRoot()
			px := drovertest.StartProxy(t, drovertest.Addr())
			w, err := New(Config{ID: "w1", Commands: true, Store: drovertest.OpenStoreAt(t, px.Addr(), root), Log: drovertest.Logger(t),
				Backoff: Backoff{Base: time.Hour, Max: time.Hour}})
			if err != nil {
				t.Fatal(err)
			}
			runWorker(t, w)
			reg := w.Reg()
			leader := drovertest.OpenStore(t, root)
			lay := leader.Layout()
			dir := t.TempDir()
			code := "0"
			if c.fail {
				code = "3"
			}
			task := &store.Task{Shell: true, Retries: 1, Cmd: []string{`echo $DROVER_ATTEMPT >> ` + dir + `/runs; exit ` + code}}
			task.ID = store.NewTaskID(time.Now())
			px.DropRepliesAfter([]byte(c.lose(lay, task.ID)))
			path := assign(t, leader, w, task)
			// Applied: marked running, or reported (the assignment gone).
			var want store.State
			if c.name == "running mark" {
				want = store.StateRunning
			}
			drovertest.WaitFor(t, 10*time.Second, c.name+" applied", func() bool { return assignmentState(t, leader, path) == want })
			px.Cut(true)
			px.Cut(false)
			var got *store.Task
			if c.fail {
				drovertest.WaitFor(t, 10*time.Second, "attempt 2 queued", func() bool {
					data, _, err := leader.Get(lay.QueueItem(task.ID))
					if err != nil {
						return false
					}
					got, err = store.DecodeTask(data)
					return err == nil
				})
			} else {
				got = result(t, leader, task.ID)
			}
			wantState, wantAttempt := store.StateSucceeded, 1
			if c.fail {
				wantState, wantAttempt = store.StateQueued, 2
			}
			if got.State != wantState || got.Attempt != wantAttempt || len(got.History) != 1 || got.History[0].N != 1 || got.History[0].Worker != "w1" {
				t.Fatalf("record %s, attempt %d, history %+v", got.State, got.Attempt, got.History)
			}
			drovertest.WaitFor(t, 10*time.Second, "the attempt counted as reported", func() bool { return w.Stats().Reported == 1 })
			if runs, err := os.ReadFile(dir + "/runs"); err != nil || strings.TrimSpace(string(runs)) != "1" {
				t.Fatalf("runs %q (%v), want attempt 1 once", runs, err)
			}
			if s := w.Stats(); s.Started != 1 || s.Unreported != 0 || s.Killed != 0 || w.Reg() != reg {
				t.Fatalf("stats %+v, registration %d (was %d)", s, w.Reg(), reg)
			}
			if left, err := leader.Children(lay.WorkerTasks("w1")); err != nil || len(left) != 0 {
				t.Fatalf("left in the worker's directory: %v %v", left, err)
			}
			if c.fail {
				if ok, _, err := leader.Exists(lay.Result(task.ID)); err != nil || ok {
					t.Fatalf("a result beside the retry: %v %v", ok, err)
				}
			}
		})
	}
}

// A placement that ZooKeeper applied but whose reply the leader lost is
// neither lost nor placed twice: the leader rebuilds its view once back on
// its session, or the next leader, taking over meanwhile, builds its own;
// either finds the task placed (or done), not queued.
func TestLostPlacementReply(t *testing.T) {
	for _, deposed := range []bool{false, true} {
		name := "same leader"
		if deposed {
			name = "next leader"
		}
		t.Run(name, func(t *testing.T) {
			root := drovertest.NewRoot()
			px := drovertest.StartProxy(t, drovertest.Addr())
			s1, err := scheduler.New(scheduler.Config{ID: "s1", Store: drovertest.OpenStoreAt(t, px.Addr(), root), Log: drovertest.Logger(t)})
			if err != nil {
				t.Fatal(err)
			}
			drovertest.Run(t, "scheduler s1", s1.Run)
			drovertest.WaitFor(t, 10*time.Second, "s1 leads", s1.IsLeader)
			s2, _, _ := startScheduler(t, root, "s2")
			w, st, _ := startWorker(t, root, "w1", nil)
			lay := st.Layout()
			dir := t.TempDir()
			task := &store.Task{ID: store.NewTaskID(time.Now()), Shell: true, SubmittedAt: time.Now().UTC(),
				Cmd: []string{`echo $DROVER_ATTEMPT >> ` + dir + `/runs`}}
			px.DropRepliesAfter([]byte(lay.Assignment("w1", task.ID, 1)))
			if _, err := st.Submit(context.Background(), []*store.Task{task}); err != nil {
				t.Fatal(err)
			}
			drovertest.WaitFor(t, 10*time.Second, "placement applied", func() bool { return !exists(t, st, lay.QueueItem(task.ID)) })
			px.Cut(true)
			if deposed {
				deposeLeader(t, root, "s1")
				drovertest.WaitFor(t, 10*time.Second, "s2 leads", s2.IsLeader)
			}
			px.Cut(false)
			got := result(t, st, task.ID)
			if got.State != store.StateSucceeded || got.Attempt != 1 || len(got.History) != 1 || got.History[0].Worker != "w1" {
				t.Fatalf("result %s, attempt %d, history %+v", got.State, got.Attempt, got.History)
			}
			// Whoever leads now has read the view since: a second placement
			// would have come from that read.
			leader := s1
			if deposed {
				leader = s2
			}
			drovertest.WaitFor(t, 10*time.Second, "a leader back", leader.IsLeader)
			probe := submitCmd(t, st, 1, nil)
			result(t, st, probe[0])
			if runs, err := os.ReadFile(dir + "/runs"); err != nil || strings.TrimSpace(string(runs)) != "1" {
				t.Fatalf("runs %q (%v), want attempt 1 once", runs, err)
			}
			if s := w.Stats(); s.Started != 2 {
				t.Fatalf("worker stats %+v, want 2 attempts started", s)
			}
			if refs, err := st.Assignments(); err != nil || len(refs) != 0 {
				t.Fatalf("assignments left: %v %v", refs, err)
			}
			if ok, _, err := st.Exists(lay.QueueItem(task.ID)); err != nil || ok {
				t.Fatalf("queued again: %v %v", ok, err)
			}
		})
	}
}

// A report whose assignment has a znode under it moves that znode aside
// first (store.Txn.Commit); when the reply of that move is lost, the report
// is sent again once the worker is back on its session, and the outcome is
// filed. The lost connection came back as the delete's "not empty", the
// report gave up ("report failed"), and the task stayed running, its slot
// taken, until the worker's registration ended.
func TestReportAfterALostReplyWhileMovingAside(t *testing.T) {
	w, px, leader := behindProxy(t)
	dir := t.TempDir()
	task := &store.Task{Shell: true, Cmd: []string{"until [ -e " + dir + "/go ]; do sleep 0.05; done"}}
	path := assign(t, leader, w, task)
	if err := leader.Create(path+"/under", []byte("junk")); err != nil {
		t.Fatal(err)
	}
	drovertest.WaitFor(t, 10*time.Second, "the attempt running", func() bool { return assignmentState(t, leader, path) == store.StateRunning })
	// The reply lost is the one of the transaction moving "under" aside
	// (its deadletter record gives the reason).
	px.DropRepliesAfter([]byte("where Drover keeps nothing"))
	if err := os.WriteFile(dir+"/go", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	drovertest.WaitFor(t, 10*time.Second, "the znode under the assignment moved aside", func() bool { return !exists(t, leader, path+"/under") })
	px.Cut(true)
	px.Cut(false)
	if got := result(t, leader, task.ID); got.State != store.StateSucceeded {
		t.Fatalf("result %+v", got)
	}
	// The report settles after its result is readable (a stopped one
	// looks for its lost try first).
	drovertest.WaitFor(t, 10*time.Second, "the report settled", func() bool {
		s := w.Stats()
		return s.Reported+s.Unreported == 1
	})
	if s := w.Stats(); s.Reported != 1 || s.Unreported != 0 {
		t.Fatalf("stats %+v, want the attempt reported", s)
	}
}
