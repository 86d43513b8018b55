package client

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

func TestMain(m *testing.M) { drovertest.Main(m) }

// newClient opens a store under a root of its own and returns a client on it.
func newClient(t *testing.T) (*Client, *store.Store) {
	t.Helper()
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	return New(st), st
}

func TestSubmitStatusList(t *testing.T) {
	c, _ := newClient(t)
	ctx := context.Background()
	specs := []TaskSpec{
		{Cmd: []string{"true"}, Name: "first", Priority: "low"},
		{Cmd: []string{"echo", "hi"}, Retries: 2, Timeout: time.Minute, Priority: "high", On: map[string]string{"gpu": "true"}},
		{Cmd: []string{"exit 3"}, Shell: true, Env: map[string]string{"A": "b"}},
	}
	res, err := c.Submit(ctx, specs)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 3 {
		t.Fatalf("results %+v", res)
	}
	seen := map[string]bool{}
	for _, r := range res {
		if r.Existing || seen[r.ID] || store.ValidateTaskID(r.ID) != nil {
			t.Fatalf("results %+v", res)
		}
		seen[r.ID] = true
	}
	task, err := c.Status(context.Background(), res[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	if task.State != store.StateQueued || task.Attempt != 1 || task.Retries != 2 || task.Timeout.Duration() != time.Minute ||
		task.Priority != store.PriorityHigh || task.On["gpu"] != "true" || task.SubmittedAt.Location() != time.UTC ||
		time.Since(task.SubmittedAt) > time.Minute {
		t.Fatalf("status %+v", task)
	}
	// A lower-case id names the same task.
	if task, err := c.Status(context.Background(), strings.ToLower(res[0].ID)); err != nil || task.ID != res[0].ID || task.Name != "first" {
		t.Fatalf("status of lower-case id: %+v, %v", task, err)
	}
	if _, err := c.Status(context.Background(), "01ARZ3NDEKTSV4RRFFQ69G5FAV"); !errors.Is(err, store.ErrUnknownTask) {
		t.Fatalf("status of an unknown task: %v", err)
	}

	all, err := c.List(context.Background(), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(all); got != 3 || all[0].ID < all[1].ID || all[1].ID < all[2].ID {
		t.Fatalf("list: %d tasks, want 3 newest first", got)
	}
	two, err := c.List(context.Background(), store.StateQueued, 2)
	if err != nil || len(two) != 2 || two[0].ID != all[0].ID || two[1].ID != all[1].ID {
		t.Fatalf("list queued limit 2: %v %v", two, err)
	}
	if done, err := c.List(context.Background(), store.StateSucceeded, 10); err != nil || len(done) != 0 {
		t.Fatalf("list succeeded: %v %v", done, err)
	}
}

func TestSubmitInvalidWritesNothing(t *testing.T) {
	c, _ := newClient(t)
	_, err := c.Submit(context.Background(), []TaskSpec{
		{Cmd: []string{"true"}},
		{Cmd: []string{"true"}, Name: "../etc"},
	})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "task 2") {
		t.Fatalf("err %v: want ErrInvalid naming task 2", err)
	}
	_, err = c.Submit(context.Background(), []TaskSpec{{Cmd: []string{"echo", strings.Repeat("x", store.MaxRecordSize)}}})
	if !errors.Is(err, ErrInvalid) || !errors.Is(err, store.ErrTooLarge) {
		t.Fatalf("err %v: want ErrInvalid and ErrTooLarge", err)
	}
	for _, spec := range []TaskSpec{{Cmd: []string{"ec\x00ho"}}, {Cmd: []string{"echo"}, Env: map[string]string{"A": "x\x00y"}},
		{Handler: "h", Env: map[string]string{"A": "x\x00y"}}} {
		if _, err := c.Submit(context.Background(), []TaskSpec{spec}); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "NUL") {
			t.Fatalf("err %v: want ErrInvalid for a NUL byte", err)
		}
	}
	if all, err := c.List(context.Background(), "", 0); err != nil || len(all) != 0 {
		t.Fatalf("list after invalid submits: %v %v", all, err)
	}
}

func TestIdempotencyKeys(t *testing.T) {
	c, _ := newClient(t)
	ctx := context.Background()
	first, err := c.Submit(ctx, []TaskSpec{{Cmd: []string{"true"}, Key: "nightly-2024-06-01"}})
	if err != nil {
		t.Fatal(err)
	}
	// The same key again, a new key twice within one call, and the first again.
	res, err := c.Submit(ctx, []TaskSpec{
		{Cmd: []string{"true"}, Key: "nightly-2024-06-01"},
		{Cmd: []string{"true"}, Key: "fresh"},
		{Cmd: []string{"true"}, Key: "fresh"},
		{Cmd: []string{"true"}, Key: "nightly-2024-06-01"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []store.SubmitResult{
		{ID: first[0].ID, Existing: true}, {ID: res[1].ID}, {ID: res[1].ID, Existing: true}, {ID: first[0].ID, Existing: true},
	}
	for i := range want {
		if res[i] != want[i] {
			t.Fatalf("results %+v, want %+v", res, want)
		}
	}
	// An existing key after a new one (this once indexed past the batch).
	later, err := c.Submit(ctx, []TaskSpec{{Cmd: []string{"true"}, Key: "another"}, {Cmd: []string{"true"}, Key: "fresh"}})
	if err != nil {
		t.Fatal(err)
	}
	if later[0].Existing || later[1] != (store.SubmitResult{ID: res[1].ID, Existing: true}) {
		t.Fatalf("results %+v", later)
	}
	if all, err := c.List(context.Background(), "", 0); err != nil || len(all) != 3 {
		t.Fatalf("list: %d tasks (%v), want 3", len(all), err)
	}
}

func TestWaitAndCancel(t *testing.T) {
	c, _ := newClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := c.Wait(ctx, "01ARZ3NDEKTSV4RRFFQ69G5FAV"); !errors.Is(err, store.ErrUnknownTask) {
		t.Fatalf("wait for an unknown task: %v", err)
	}
	if _, err := c.Wait(ctx, "nope"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("wait for a bad id: %v", err)
	}
	res, err := c.Submit(ctx, []TaskSpec{{Cmd: []string{"sleep", "60"}}})
	if err != nil {
		t.Fatal(err)
	}
	id := res[0].ID
	short, cancelShort := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancelShort()
	if _, err := c.Wait(short, id); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("wait without a result: %v", err)
	}
	type waited struct {
		task *store.Task
		err  error
	}
	got := make(chan waited, 1)
	go func() {
		task, err := c.Wait(ctx, strings.ToLower(id))
		got <- waited{task, err}
	}()
	if _, err := c.Cancel(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	select {
	case w := <-got:
		if w.err != nil || w.task.ID != id || w.task.State != store.StateCancelled {
			t.Fatalf("wait: %+v %v", w.task, w.err)
		}
	case <-ctx.Done():
		t.Fatal("wait did not return after the task was cancelled")
	}
	if _, err := c.Cancel(context.Background(), id); !errors.Is(err, ErrFinished) {
		t.Fatalf("second cancel: %v", err)
	}
	if done, err := c.List(context.Background(), store.StateCancelled, 0); err != nil || len(done) != 1 || done[0].ID != id {
		t.Fatalf("list cancelled: %v %v", done, err)
	}
}

func TestListSkipsMalformedRecords(t *testing.T) {
	c, st := newClient(t)
	res, err := c.Submit(context.Background(), []TaskSpec{{Cmd: []string{"true"}}, {Cmd: []string{"true"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Set(st.Layout().QueueItem(res[0].ID), []byte("{not json"), -1); err != nil {
		t.Fatal(err)
	}
	l, err := c.ListTasks(context.Background(), ListOptions{})
	if err != nil || l.Skipped != 1 || len(l.Tasks) != 1 || l.Tasks[0].ID != res[1].ID {
		t.Fatalf("list: %d tasks, %d skipped, %v", len(l.Tasks), l.Skipped, err)
	}
}

func TestWorkersAndLeader(t *testing.T) {
	c, st := newClient(t)
	ctx := context.Background()
	if ws, err := c.Workers(context.Background()); err != nil || len(ws) != 0 {
		t.Fatalf("workers of an empty cluster: %v %v", ws, err)
	}
	if _, err := c.Leader(context.Background()); !errors.Is(err, ErrNoLeader) {
		t.Fatalf("leader of an empty cluster: %v", err)
	}

	// A worker registration with one assignment, as a worker and a leader write them.
	lay := st.Layout()
	reg, err := store.Encode(&store.WorkerInfo{ID: "w1", Host: "h", PID: 42, Capacity: 4, Labels: map[string]string{"gpu": "true"}, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.CreateEphemeral(ctx, lay.Worker("w1"), reg); err != nil {
		t.Fatal(err)
	}
	res, err := c.Submit(ctx, []TaskSpec{{Cmd: []string{"true"}}})
	if err != nil {
		t.Fatal(err)
	}
	task, err := c.Status(context.Background(), res[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	task.Worker = "w1"
	if err := st.EnsurePath(lay.WorkerTasks("w1")); err != nil {
		t.Fatal(err)
	}
	txn := st.Txn().Delete(lay.QueueItem(task.ID), -1)
	if err := txn.Assign(task); err != nil {
		t.Fatal(err)
	}
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}
	ws, err := c.Workers(context.Background())
	if err != nil || len(ws) != 1 || ws[0].ID != "w1" || ws[0].Running != 1 || ws[0].Waiting != 0 || ws[0].Capacity != 4 || ws[0].Labels["gpu"] != "true" {
		t.Fatalf("workers: %+v %v", ws, err)
	}
	// Marked running, it is listed running.
	apath := lay.Assignment("w1", task.ID, task.Attempt)
	data, stat, err := st.Get(apath)
	if err != nil {
		t.Fatal(err)
	}
	marked, err := store.DecodeTask(data)
	if err != nil {
		t.Fatal(err)
	}
	marked.State = store.StateRunning
	if data, err = store.Encode(marked); err != nil {
		t.Fatal(err)
	}
	if err := st.Txn().Set(apath, data, stat.Version).Commit(); err != nil {
		t.Fatal(err)
	}
	if got, err := c.List(context.Background(), store.StateRunning, 0); err != nil || len(got) != 1 || got[0].Worker != "w1" {
		t.Fatalf("list running: %v %v", got, err)
	}

	// Two candidates in line and an epoch record, as schedulers write them.
	for _, id := range []string{"s1", "s2"} {
		rec, err := store.Encode(&store.Candidate{ID: id, Host: "h", PID: 7})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := st.CreateSequentialEphemeral(ctx, lay.Election(), "n_", rec); err != nil {
			t.Fatal(err)
		}
	}
	since := time.Now().UTC().Truncate(time.Second)
	ep, err := store.Encode(&store.EpochRecord{Epoch: 7, Leader: "s1", Since: since})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Set(lay.Epoch(), ep, -1); err != nil {
		t.Fatal(err)
	}
	l, err := c.Leader(context.Background())
	if err != nil || l.ID != "s1" || l.Epoch != 7 || !l.Since.Equal(since) || len(l.Standbys) != 1 || l.Standbys[0].ID != "s2" || l.EpochError != "" {
		t.Fatalf("leader: %+v %v", l, err)
	}

	// An epoch record that does not decode, or is of a newer Drover, costs
	// the epoch only: the leader and standbys are reported, the reason in
	// EpochError (it failed the whole call), and the record stays for the
	// next leader to move aside.
	for _, bad := range []struct{ data, reason string }{
		{"\x00 not a drover record", "malformed"},
		{`{"v":999,"epoch":8}`, "unsupported"},
	} {
		if _, err := st.Set(lay.Epoch(), []byte(bad.data), -1); err != nil {
			t.Fatal(err)
		}
		l, err = c.Leader(context.Background())
		if err != nil || l.ID != "s1" || l.Epoch != 0 || !l.Since.IsZero() || len(l.Standbys) != 1 || !strings.Contains(l.EpochError, bad.reason) {
			t.Fatalf("leader with epoch %q: %+v %v", bad.data, l, err)
		}
		if data, _, err := st.Get(lay.Epoch()); err != nil || string(data) != bad.data {
			t.Fatalf("epoch record after Leader: %q %v (want it left in place)", data, err)
		}
	}
}

// A record of one task at another's place (copied there by hand) is refused,
// not shown or waited on as the other task.
func TestRecordOfAnotherTaskIsRefused(t *testing.T) {
	c, st := newClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := c.Submit(ctx, []TaskSpec{{Cmd: []string{"true"}}, {Cmd: []string{"true"}}})
	if err != nil {
		t.Fatal(err)
	}
	a, b := res[0].ID, res[1].ID
	if _, err := c.Cancel(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	data, _, err := st.Get(st.Layout().Result(a))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Create(st.Layout().Result(b), data); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitAll(ctx, []string{b, a}, func(*store.Task) {}); !errors.Is(err, store.ErrMalformed) {
		t.Fatalf("wait: %v; want ErrMalformed", err)
	}
	// The wait moved the record aside; copied there again, Status refuses
	// it and moves it aside too.
	if err := st.Create(st.Layout().Result(b), data); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Status(context.Background(), b); !errors.Is(err, store.ErrMalformed) {
		t.Fatalf("status of %s: %+v, %v; want ErrMalformed", b, got, err)
	}
	// Status moved the record aside: b is found queued, where it is.
	if got, err := c.Status(context.Background(), b); err != nil || got.ID != b || got.State != store.StateQueued {
		t.Fatalf("status of %s once the record of %s is moved aside: %+v, %v", b, a, got, err)
	}
}

// After a lost reply, tasks of the lost transaction that have moved on
// (placed, finished) are found where they are, not sent again.
func TestLandedFindsTasksThatMovedOn(t *testing.T) {
	c, st := newClient(t)
	ctx := context.Background()
	mk := func() *store.Task {
		return &store.Task{ID: store.NewTaskID(time.Now()), Cmd: []string{"true"}, SubmittedAt: time.Now().UTC()}
	}
	placed, finished, queued, unsent := mk(), mk(), mk(), mk()
	if _, err := st.Submit(ctx, []*store.Task{placed, finished, queued}); err != nil {
		t.Fatal(err)
	}
	// The leader places one; the other is cancelled (a result).
	item := st.Layout().QueueItem(placed.ID)
	_, stat, err := st.Get(item)
	if err != nil {
		t.Fatal(err)
	}
	txn := st.Txn().Delete(item, stat.Version)
	assigned := placed.Clone()
	assigned.Worker, assigned.Attempt = "w1", 1
	if err := st.EnsurePath(st.Layout().WorkerTasks("w1")); err != nil {
		t.Fatal(err)
	}
	if err := txn.Assign(assigned); err != nil {
		t.Fatal(err)
	}
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Cancel(context.Background(), finished.ID); err != nil {
		t.Fatal(err)
	}
	// A task whose key was taken before is not written, and the tasks
	// after it in its transaction are: each is found for itself. (Counting
	// a landed prefix, a re-send queued those after it twice.)
	keyed := &store.Task{ID: store.NewTaskID(time.Now()), Cmd: []string{"true"}, Key: "taken", SubmittedAt: time.Now().UTC()}
	landed, err := c.landed([]*store.Task{keyed, placed, finished, queued, unsent})
	if err != nil || !slices.Equal(landed, []bool{false, true, true, true, false}) {
		t.Fatalf("landed %v (%v), want [false true true true false]", landed, err)
	}
	// Sending again from there writes only the one that never landed.
	res, err := c.submit(ctx, []*store.Task{unsent})
	if err != nil || len(res) != 1 || res[0].ID != unsent.ID || res[0].Existing {
		t.Fatalf("submit %+v %v", res, err)
	}
}

// A task of a lost reply that moves back to the queue while landed looks
// for it (placed when its queue item is read, queued again, its worker
// lost, when the assignments are listed) is found: its buckets moved, so it
// is looked for again. It was taken for not written, and sent again.
func TestLandedFindsATaskRequeuedBetweenItsReads(t *testing.T) {
	c, st := newClient(t)
	lay := st.Layout()
	task := &store.Task{ID: store.NewTaskID(time.Now()), Cmd: []string{"true"}, SubmittedAt: time.Now().UTC()}
	if _, err := st.Submit(context.Background(), []*store.Task{task}); err != nil {
		t.Fatal(err)
	}
	rec, stat := queuedRecord(t, st, task.ID)
	rec.Worker, rec.Attempt = "w1", 1
	if err := st.EnsurePath(lay.WorkerTasks("w1")); err != nil {
		t.Fatal(err)
	}
	txn := st.Txn().Delete(lay.QueueItem(task.ID), stat.Version)
	if err := txn.Assign(rec); err != nil {
		t.Fatal(err)
	}
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}
	var requeued atomic.Bool
	testHookAssignments = func() {
		if requeued.Swap(true) {
			return
		}
		// The leader recovers the attempt of a lost worker.
		again := rec.Clone()
		again.Attempt = 2
		txn := st.Txn().Delete(lay.Assignment("w1", task.ID, 1), -1)
		if err := txn.Enqueue(again); err != nil {
			t.Error(err)
			return
		}
		if err := txn.Commit(); err != nil {
			t.Error(err)
		}
	}
	t.Cleanup(func() { testHookAssignments = nil })
	landed, err := c.landed([]*store.Task{task})
	if err != nil || !slices.Equal(landed, []bool{true}) {
		t.Fatalf("landed %v (%v), want [true]: the task moved while it was looked for", landed, err)
	}
}

// Listing workers changes nothing: registrations it cannot read (malformed,
// or of a newer format) are skipped, not moved aside.
func TestWorkersListingIsReadOnly(t *testing.T) {
	c, st := newClient(t)
	odd := map[string]string{
		"w-newer": `{"v":2,"id":"w-newer","capacity":4}`,
		"w-bad":   `not json`,
	}
	for id, data := range odd {
		if err := st.Create(st.Layout().Worker(id), []byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	// Skipped, and counted for the listing to say so.
	if ws, skipped, err := c.ListWorkers(context.Background()); err != nil || len(ws) != 0 || skipped != len(odd) {
		t.Fatalf("workers %+v, %d skipped, %v; want none shown, %d skipped", ws, skipped, err, len(odd))
	}
	for id := range odd {
		if ok, _, err := st.Exists(st.Layout().Worker(id)); err != nil || !ok {
			t.Fatalf("listing workers removed %s (%v)", id, err)
		}
	}
}

// malformedSchedules makes, from schedule good's record, two that decode
// but that the leader finds malformed: one under another schedule's name
// ("misnamed", naming good), one whose cron does not parse ("badcron").
func malformedSchedules(t *testing.T, st *store.Store, good string) map[string][]byte {
	t.Helper()
	return schedulesFrom(t, st, good, map[string]func(*store.Schedule){
		"misnamed": func(*store.Schedule) {},
		"badcron":  func(r *store.Schedule) { r.Name, r.Cron = "badcron", "61 * * * *" },
	})
}

// schedulesFrom makes, from schedule good's record, one record by each of
// changes, by name.
func schedulesFrom(t *testing.T, st *store.Store, good string, changes map[string]func(*store.Schedule)) map[string][]byte {
	t.Helper()
	data, _, err := st.Get(st.Layout().Schedule(good))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for name, change := range changes {
		rec, err := store.DecodeSchedule(data)
		if err != nil {
			t.Fatal(err)
		}
		change(rec)
		if out[name], err = store.Encode(rec); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// Listing schedules skips records that do not decode, counts them for the
// listing to say so (it said nothing), and changes nothing: the leader
// moves them aside.
func TestSchedulesListingCountsUnreadable(t *testing.T) {
	c, st := newClient(t)
	if _, err := c.AddSchedule(context.Background(), ScheduleSpec{Name: "good", Cron: "@daily", Task: TaskSpec{Cmd: []string{"true"}}}); err != nil {
		t.Fatal(err)
	}
	if list, skipped, err := c.ListSchedules(context.Background()); err != nil || len(list) != 1 || skipped != 0 {
		t.Fatalf("schedules: %d, %d skipped, %v; want 1, none skipped", len(list), skipped, err)
	}
	odd := map[string]string{"bad": `not json`, "newer": `{"v":999,"name":"newer"}`}
	for name, data := range malformedSchedules(t, st, "good") {
		odd[name] = string(data)
	}
	for name, data := range odd {
		if err := st.Create(st.Layout().Schedule(name), []byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	list, skipped, err := c.ListSchedules(context.Background())
	if err != nil || len(list) != 1 || list[0].Name != "good" || skipped != len(odd) {
		t.Fatalf("schedules: %d, %d skipped, %v; want good alone, %d skipped", len(list), skipped, err, len(odd))
	}
	for name := range odd {
		if ok, _, err := st.Exists(st.Layout().Schedule(name)); err != nil || !ok {
			t.Fatalf("listing schedules removed %s (%v)", name, err)
		}
	}
}

// A command on one schedule refuses a record the leader finds malformed
// and the listing skips (one under another schedule's name, one whose cron
// does not parse) and changes nothing: get showed the misnamed record as
// the schedule it names, and trigger ran that schedule's command and filed
// the run in a record the leader then moved to deadletter.
func TestScheduleCommandsRefuseMalformedRecords(t *testing.T) {
	c, st := newClient(t)
	if _, err := c.AddSchedule(context.Background(), ScheduleSpec{Name: "good", Cron: "@daily", Task: TaskSpec{Cmd: []string{"true"}}}); err != nil {
		t.Fatal(err)
	}
	for name, data := range malformedSchedules(t, st, "good") {
		p := st.Layout().Schedule(name)
		if err := st.Create(p, data); err != nil {
			t.Fatal(err)
		}
		for cmd, do := range map[string]func() error{
			"get":     func() error { _, err := c.Schedule(context.Background(), name); return err },
			"pause":   func() error { _, err := c.PauseSchedule(context.Background(), name); return err },
			"resume":  func() error { _, err := c.ResumeSchedule(context.Background(), name); return err },
			"trigger": func() error { _, err := c.TriggerSchedule(context.Background(), name); return err },
		} {
			if err := do(); !errors.Is(err, store.ErrMalformed) || !strings.Contains(err.Error(), "schedule "+name) {
				t.Errorf("%s %s: %v; want it malformed", cmd, name, err)
			}
		}
		now, st2, err := st.Get(p)
		if err != nil || string(now) != string(data) || st2.Version != 0 {
			t.Fatalf("%s: the record changed (version %d, %v)", name, st2.Version, err)
		}
	}
}

// Schedules earlier releases' clients wrote, which the leader fires after
// an upgrade, are shown and changed as any other: @every under a second or
// not whole seconds (refused since 45fd24a), CRON_TZ=Local (since
// 8bc3b3a), a handler's template with a NUL byte in its env (since
// 45fd24a). Get and the listings (drover schedule get and ls, the
// dashboard's) read the spec with ParseSpec, as a client about to write
// one: they skipped or refused each as malformed. A client still refuses
// to add them.
func TestSchedulesEarlierClientsWroteAreShown(t *testing.T) {
	c, st := newClient(t)
	if _, err := c.AddSchedule(context.Background(), ScheduleSpec{Name: "good", Cron: "@daily", Task: TaskSpec{Cmd: []string{"true"}}}); err != nil {
		t.Fatal(err)
	}
	nulEnv := store.Task{V: store.FormatVersion, Handler: "resize", Env: map[string]string{"SEP": "a\x00b"}}
	old := schedulesFrom(t, st, "good", map[string]func(*store.Schedule){
		"every-1500ms":    func(r *store.Schedule) { r.Name, r.Cron = "every-1500ms", "@every 1500ms" },
		"cron-tz-local":   func(r *store.Schedule) { r.Name, r.Cron = "cron-tz-local", "CRON_TZ=Local 0 * * * *" },
		"handler-nul-env": func(r *store.Schedule) { r.Name, r.Task = "handler-nul-env", nulEnv },
	})
	for name, data := range old {
		if err := st.Create(st.Layout().Schedule(name), data); err != nil {
			t.Fatal(err)
		}
	}
	list, skipped, err := c.ListSchedules(context.Background())
	if err != nil || skipped != 0 || len(list) != 1+len(old) {
		t.Fatalf("schedules: %d, %d skipped, %v; want %d, none skipped", len(list), skipped, err, 1+len(old))
	}
	for _, s := range list {
		if s.Next.IsZero() {
			t.Errorf("schedule %s listed with no next slot", s.Name)
		}
	}
	for name := range old {
		for cmd, do := range map[string]func() error{
			"get":    func() error { _, err := c.Schedule(context.Background(), name); return err },
			"pause":  func() error { _, err := c.PauseSchedule(context.Background(), name); return err },
			"resume": func() error { _, err := c.ResumeSchedule(context.Background(), name); return err },
		} {
			if err := do(); err != nil {
				t.Errorf("%s %s: %v", cmd, name, err)
			}
		}
	}
	for what, spec := range map[string]ScheduleSpec{
		"@every 1500ms":          {Cron: "@every 1500ms", Task: TaskSpec{Cmd: []string{"true"}}},
		"CRON_TZ=Local":          {Cron: "CRON_TZ=Local 0 * * * *", Task: TaskSpec{Cmd: []string{"true"}}},
		"a NUL in a handler env": {Cron: "@daily", Task: TaskSpec{Handler: "resize", Env: nulEnv.Env}},
	} {
		spec.Name = "new"
		if _, err := c.AddSchedule(context.Background(), spec); !errors.Is(err, ErrInvalid) {
			t.Errorf("add a schedule with %s: %v, want ErrInvalid", what, err)
		}
	}
}

// TestSchedulesFirstReadsABudget: a bounded listing behind many removed
// schedules (tombstones) stops after its read budget and says more may be
// left, instead of reading every record; a context ended stops it.
func TestSchedulesFirstReadsABudget(t *testing.T) {
	c, st := newClient(t)
	// Just past the budget: read 64 at a time, a listing went on to 1,024
	// and found the schedule behind them.
	const tombs = schedulesMinScan + 10
	names := make([]string, tombs)
	for i := range names {
		names[i] = fmt.Sprintf("gone-%05d", i)
	}
	errs := make([]error, tombs)
	store.Pipelined(tombs, func(i int) {
		data, err := store.Encode(&store.Schedule{Name: names[i], Removed: true})
		if err == nil {
			err = st.Create(st.Layout().Schedule(names[i]), data)
		}
		errs[i] = err
	})
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddSchedule(context.Background(), ScheduleSpec{Name: "last", Cron: "@daily", Task: TaskSpec{Cmd: []string{"true"}}}); err != nil {
		t.Fatal(err)
	}
	list, more, _, err := c.SchedulesFirst(context.Background(), 1)
	if err != nil || len(list) != 0 || !more {
		t.Fatalf("behind %d tombstones: %d schedules, more %v, %v; want none and more", tombs, len(list), more, err)
	}
	if all, err := c.Schedules(context.Background()); err != nil || len(all) != 1 || all[0].Name != "last" {
		t.Fatalf("all schedules: %d (%v), want the one", len(all), err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, _, err := c.SchedulesFirst(ctx, 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("an ended context: %v", err)
	}
}

// schedule ls shows a run that has ended as ended, as schedule get does: it
// listed the runs as the leader last filed them, and a finished run stayed
// "active" until the next firing.
func TestSchedulesShowEndedRunsAsEnded(t *testing.T) {
	c, st := newClient(t)
	if _, err := c.AddSchedule(context.Background(), ScheduleSpec{Name: "nightly", Cron: "@daily", Task: TaskSpec{Cmd: []string{"true"}}}); err != nil {
		t.Fatal(err)
	}
	p := st.Layout().Schedule("nightly")
	rec, stat := storedSchedule(t, st, "nightly")
	slot := time.Now().Add(-time.Minute).Truncate(time.Second).UTC()
	id := store.SlotTaskID("nightly", slot, 0)
	rec.Active = []store.ScheduleRun{{Task: id, Slot: slot}}
	data, err := store.Encode(rec)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Set(p, data, stat.Version); err != nil {
		t.Fatal(err)
	}
	zero := 0
	done := &store.Task{ID: id, Cmd: []string{"true"}, State: store.StateSucceeded, ExitCode: &zero, SubmittedAt: slot, FinishedAt: time.Now().UTC()}
	if err := st.CommitCreatingBuckets([]string{id}, func(txn *store.Txn) error { return txn.Finish(done) }); err != nil {
		t.Fatal(err)
	}
	list, err := c.Schedules(context.Background())
	if err != nil || len(list) != 1 {
		t.Fatalf("schedules: %d (%v)", len(list), err)
	}
	if s := list[0]; len(s.Active) != 0 || len(s.Succeeded) != 1 {
		t.Fatalf("active %v, succeeded %v: want the ended run filed", s.Active, s.Succeeded)
	}
}

// Triggers run beside the active runs, but the record tracks at most
// MaxActiveRuns of them: it grew by a run per trigger, towards a znode's
// bound.
func TestTriggersTrackABoundedNumber(t *testing.T) {
	c, st := newClient(t)
	if err := st.AddSchedule(&store.Schedule{Name: "t", Cron: "0 0 1 1 *", Catchup: store.CatchupNone, CreatedAt: time.Now().UTC(),
		KeepSucceeded: 10, KeepFailed: 10, Task: store.Task{Cmd: []string{"true"}}}); err != nil {
		t.Fatal(err)
	}
	for range store.MaxActiveRuns + 3 {
		if _, err := c.TriggerSchedule(context.Background(), "t"); err != nil {
			t.Fatal(err)
		}
	}
	if rec, _ := storedSchedule(t, st, "t"); len(rec.Active) != store.MaxActiveRuns {
		t.Fatalf("%d runs tracked, want %d", len(rec.Active), store.MaxActiveRuns)
	}
}

// edgeSchedule adds schedule name (paused if suspended) with runs
// succeeded runs in its history and active runs, its template padded until
// its weight is 10 bytes within the bound DecodeSchedule keeps, as a
// template of an earlier client, or a long history, can take it.
func edgeSchedule(t *testing.T, st *store.Store, name string, suspended bool, runs int, active ...store.ScheduleRun) *store.Schedule {
	t.Helper()
	rec := &store.Schedule{Name: name, Cron: "@daily", Catchup: store.CatchupNone, Concurrency: store.ConcurrencyAllow,
		Suspended: suspended, CreatedAt: time.Now().UTC(), KeepSucceeded: 1000, KeepFailed: 10,
		Task: store.Task{Cmd: []string{"true"}}, Active: active}
	for i := range runs {
		slot := rec.CreatedAt.Add(time.Duration(i-runs) * time.Hour)
		rec.Succeeded = append(rec.Succeeded, store.ScheduleRun{Slot: slot, Task: store.SlotTaskID(name, slot, 0), State: store.StateSucceeded})
	}
	drovertest.PadToFiringBound(t, rec, 10)
	if err := st.AddSchedule(rec); err != nil {
		t.Fatal(err)
	}
	return rec
}

// A pause, resume or trigger of a schedule at the edge of the bound its
// reader keeps (its FiringWeight within MaxFiringBytes) keeps it readable,
// in place, and its history whole: they change only its firing state,
// which weighs nothing. Each grew the record past the bound: DecodeSchedule
// refused it, so every command on the schedule failed, and the next leader
// moved it to deadletter. A record with no room for the change (active
// runs written by hand take its state past what weighs nothing) and no
// history to drop is refused it, and told what to do.
func TestScheduleChangesAtTheBoundKeepItReadable(t *testing.T) {
	c, st := newClient(t)
	for _, tc := range []struct {
		name   string
		paused bool
		change func() error
		done   func(*store.Schedule) bool
	}{
		{"pause", false, func() error { _, err := c.PauseSchedule(context.Background(), "pause"); return err },
			func(r *store.Schedule) bool { return r.Suspended }},
		{"resume", true, func() error { _, err := c.ResumeSchedule(context.Background(), "resume"); return err },
			func(r *store.Schedule) bool { return !r.Suspended && !r.LastSlot.IsZero() }},
		{"trigger", false, func() error { _, err := c.TriggerSchedule(context.Background(), "trigger"); return err },
			func(r *store.Schedule) bool { return len(r.Active) == 1 }},
	} {
		before := edgeSchedule(t, st, tc.name, tc.paused, 20)
		if err := tc.change(); err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		data, _, err := st.Get(st.Layout().Schedule(tc.name))
		if err != nil {
			t.Fatal(err)
		}
		rec, err := store.DecodeSchedule(data)
		if err != nil {
			t.Errorf("%s wrote a record its reader refuses: %v", tc.name, err)
			continue
		}
		kept := rec.Succeeded
		if !tc.done(rec) || len(kept) != 20 || kept[len(kept)-1].Task != before.Succeeded[19].Task {
			t.Fatalf("%s: record %+v, succeeded %d: want the change made, and the runs kept", tc.name, rec, len(kept))
		}
		if _, err := c.Schedule(context.Background(), tc.name); err != nil {
			t.Fatalf("after %s: %v", tc.name, err)
		}
	}
	edgeSchedule(t, st, "bare", false, 0, drovertest.HandWrittenRuns()...)
	_, stat := storedSchedule(t, st, "bare")
	if _, err := c.PauseSchedule(context.Background(), "bare"); !errors.Is(err, store.ErrTooLarge) || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "schedule rm") {
		t.Fatalf("pause of a record at the bound with no room and no history: %v, want ErrTooLarge and ErrInvalid, saying what to do", err)
	}
	if rec, now := storedSchedule(t, st, "bare"); now.Version != stat.Version || rec.Suspended {
		t.Fatalf("the refused pause wrote the record: version %d, was %d", now.Version, stat.Version)
	}
}

// queuedRecord reads task id's queue item.
func queuedRecord(t *testing.T, st *store.Store, id string) (*store.Task, store.Stat) {
	t.Helper()
	data, stat, err := st.Get(st.Layout().QueueItem(id))
	if err != nil {
		t.Fatal(err)
	}
	task, err := store.DecodeTask(data)
	if err != nil {
		t.Fatal(err)
	}
	return task, stat
}

// A submit whose reply was lost looks for its tasks before it sends them
// again. A task placed meanwhile that finishes while the client looks (its
// assignment deleted, its result made, in one transaction) is found all
// the same. The client read the results before the assignments, missed
// such a task in both, and queued it a second time: it ran again, its
// outcome refused as a second result.
func TestLostSubmitReplyOfATaskFinishingMeanwhile(t *testing.T) {
	root := drovertest.NewRoot()
	px := drovertest.StartProxy(t, drovertest.Addr())
	c := New(drovertest.OpenStoreAt(t, px.Addr(), root))
	st := drovertest.OpenStore(t, root)
	lay := st.Layout()
	if err := st.EnsurePath(lay.WorkerTasks("w1")); err != nil {
		t.Fatal(err)
	}
	// The buckets the task will go in, so that its first transaction is
	// the one that applies (a failed one, its reply lost too, would leave
	// the submit waiting): ten windows from the id generator's time, which
	// may be ahead of the clock, as the submit may start seconds late on a
	// loaded machine.
	ensureNextBuckets(t, st)
	done := submitWithReplyLost(context.Background(), c, px, root)
	var id string
	drovertest.WaitFor(t, 10*time.Second, "the submit applied", func() bool {
		ids := drovertest.QueuedIDs(t, st)
		if len(ids) == 1 {
			id = ids[0]
		}
		return id != ""
	})
	// Play the leader and the worker: the task is placed, and finishes
	// just as the client, back, is about to list the assignments.
	task, stat := queuedRecord(t, st, id)
	task.Worker, task.Attempt = "w1", 1
	txn := st.Txn().Delete(lay.QueueItem(id), stat.Version)
	if err := txn.Assign(task); err != nil {
		t.Fatal(err)
	}
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}
	var finished atomic.Bool
	testHookAssignments = func() {
		if finished.Swap(true) {
			return
		}
		fin := task.Clone()
		fin.State, fin.FinishedAt = store.StateSucceeded, time.Now().UTC()
		txn := st.Txn().Delete(lay.Assignment("w1", id, 1), 0)
		if err := txn.Finish(fin); err != nil {
			t.Error(err)
			return
		}
		if err := txn.Commit(); err != nil {
			t.Error(err)
		}
	}
	t.Cleanup(func() { testHookAssignments = nil })
	px.Cut(true)
	px.Cut(false)
	got := <-done
	if got.err != nil || len(got.res) != 1 || got.res[0].ID != id || got.res[0].Existing {
		t.Fatalf("submit: %+v, %v", got.res, got.err)
	}
	if ids := drovertest.QueuedIDs(t, st); len(ids) != 0 {
		t.Fatalf("queued %v after the submit: the finished task was sent again", ids)
	}
}

// A cancel or a retry that ZooKeeper applied but whose reply was lost
// succeeds once the client is back: it recognises its own write. Both used
// to fail with "connection lost" (exit 1) though they took effect, and
// doing it again then failed too ("already finished", "cannot be retried").
func TestLostCancelAndRetryReplies(t *testing.T) {
	root := drovertest.NewRoot()
	px := drovertest.StartProxy(t, drovertest.Addr())
	c := New(drovertest.OpenStoreAt(t, px.Addr(), root))
	st := drovertest.OpenStore(t, root)
	lay := st.Layout()
	res, err := New(st).Submit(context.Background(), []TaskSpec{{Cmd: []string{"true"}}})
	if err != nil {
		t.Fatal(err)
	}
	id := res[0].ID
	// lose runs op with the reply of its write (marked by marker) lost once
	// applied, as seen by applied.
	lose := func(what, marker string, op func() (*store.Task, error), applied func() bool) *store.Task {
		t.Helper()
		px.DropRepliesAfter([]byte(marker))
		type outcome struct {
			t   *store.Task
			err error
		}
		done := make(chan outcome, 1)
		go func() {
			t, err := op()
			done <- outcome{t, err}
		}()
		drovertest.WaitFor(t, 10*time.Second, what+" applied", applied)
		px.Cut(true)
		px.Cut(false)
		got := <-done
		if got.err != nil {
			t.Fatalf("%s: %v", what, got.err)
		}
		return got.t
	}
	exists := func(p string) bool {
		ok, _, err := st.Exists(p)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	got := lose("cancel", `"state":"cancelled"`, func() (*store.Task, error) { return c.Cancel(context.Background(), id) },
		func() bool { return exists(lay.Result(id)) })
	if got.State != store.StateCancelled || exists(lay.QueueItem(id)) {
		t.Fatalf("cancelled %+v", got)
	}
	got = lose("retry", `"state":"queued"`, func() (*store.Task, error) { return c.Retry(context.Background(), id) },
		func() bool { return exists(lay.QueueItem(id)) })
	if got.State != store.StateQueued || exists(lay.Result(id)) {
		t.Fatalf("retried %+v", got)
	}
	queued, err := c.Status(context.Background(), id)
	if err != nil || queued.State != store.StateQueued || queued.Attempt != got.Attempt {
		t.Fatalf("status after the retry: %+v %v", queued, err)
	}
}

// A retry whose reply was lost, and which was not applied, does not take a
// result gone for its own doing: the result pruned by retention, or removed
// by another client's retry meanwhile, each made it report a success that
// was not its own. It fails, with ErrUnconfirmed, and says what it found.
func TestLostRetryReplyNotApplied(t *testing.T) {
	for _, tc := range []struct {
		name string
		// meanwhile removes the result, through st, before the retry's
		// write goes.
		meanwhile func(t *testing.T, st *store.Store, id string)
		want      string
	}{
		{"result pruned", func(t *testing.T, st *store.Store, id string) {
			if err := st.Delete(st.Layout().Result(id), -1); err != nil {
				t.Fatal(err)
			}
		}, "no record of the task is left"},
		{"another client retried", func(t *testing.T, st *store.Store, id string) {
			if _, err := New(st).Retry(context.Background(), id); err != nil {
				t.Fatal(err)
			}
		}, "lacks this retry's mark: another client retried it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := drovertest.NewRoot()
			px := drovertest.StartProxy(t, drovertest.Addr())
			c := New(drovertest.OpenStoreAt(t, px.Addr(), root))
			st := drovertest.OpenStore(t, root)
			res, err := New(st).Submit(context.Background(), []TaskSpec{{Cmd: []string{"true"}}})
			if err != nil {
				t.Fatal(err)
			}
			id := res[0].ID
			if _, err := New(st).Cancel(context.Background(), id); err != nil {
				t.Fatal(err)
			}
			sent := make(chan int64, 1)
			testHookRetryCommit = func() {
				testHookRetryCommit = nil // once: another client's retry runs it too
				tc.meanwhile(t, st, id)
				sent <- px.Requests()
				px.DropReplies()
			}
			t.Cleanup(func() { testHookRetryCommit = nil })
			type outcome struct {
				t   *store.Task
				err error
			}
			done := make(chan outcome, 1)
			go func() {
				got, err := c.Retry(context.Background(), id)
				done <- outcome{got, err}
			}()
			n := <-sent
			drovertest.WaitFor(t, 10*time.Second, "the retry's write sent", func() bool { return px.Requests() > n })
			px.Cut(true)
			px.Cut(false)
			got := <-done
			if !errors.Is(got.err, ErrUnconfirmed) || !strings.Contains(got.err.Error(), tc.want) {
				t.Fatalf("retry: %+v, %v; want ErrUnconfirmed saying %q", got.t, got.err, tc.want)
			}
		})
	}
}

// A retry whose reply was lost, applied, knows its write by its mark even
// after the task moved on: here it ran and finished again before the
// client was back.
func TestLostRetryReplyAppliedTaskMovedOn(t *testing.T) {
	root := drovertest.NewRoot()
	px := drovertest.StartProxy(t, drovertest.Addr())
	c := New(drovertest.OpenStoreAt(t, px.Addr(), root))
	st := drovertest.OpenStore(t, root)
	res, err := New(st).Submit(context.Background(), []TaskSpec{{Cmd: []string{"true"}}})
	if err != nil {
		t.Fatal(err)
	}
	id := res[0].ID
	if _, err := New(st).Cancel(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	px.DropRepliesAfter([]byte(`"state":"queued"`))
	type outcome struct {
		t   *store.Task
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		got, err := c.Retry(context.Background(), id)
		done <- outcome{got, err}
	}()
	lay := st.Layout()
	drovertest.WaitFor(t, 10*time.Second, "the retry applied", func() bool {
		ok, _, err := st.Exists(lay.QueueItem(id))
		return err == nil && ok
	})
	task, stat := queuedRecord(t, st, id)
	code := 0
	task.State, task.ExitCode, task.FinishedAt = store.StateSucceeded, &code, time.Now().UTC()
	txn := st.Txn().Delete(lay.QueueItem(id), stat.Version)
	if err := txn.Finish(task); err != nil {
		t.Fatal(err)
	}
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}
	px.Cut(true)
	px.Cut(false)
	got := <-done
	if got.err != nil || got.t.State != store.StateSucceeded || got.t.RetriedAt.IsZero() {
		t.Fatalf("retry: %+v, %v; want the finished task it queued", got.t, got.err)
	}
}

// A task cancelled while queued never ran its attempt: retried, it runs
// that attempt, so that its attempts are numbered without a gap. It ran
// the next one (a first run as attempt 2, with no attempt 1 anywhere).
func TestRetryOfATaskCancelledWhileQueued(t *testing.T) {
	c, st := newClient(t)
	lay := st.Layout()
	res, err := c.Submit(context.Background(), []TaskSpec{{Cmd: []string{"true"}, Retries: 3}})
	if err != nil {
		t.Fatal(err)
	}
	id := res[0].ID
	if _, err := c.Cancel(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	got, err := c.Retry(context.Background(), id)
	if err != nil || got.Attempt != 1 || len(got.History) != 0 {
		t.Fatalf("retried %+v, %v: want attempt 1, which never ran", got, err)
	}
	// Attempt 1 ran and failed, attempt 2 waits out its backoff; cancelled
	// there, the task is retried as attempt 2.
	task, stat := queuedRecord(t, st, id)
	code := 3
	task.AddAttempt(store.Attempt{N: 1, Worker: "w1", ExitCode: code})
	task.Attempt, task.NotBefore = 2, time.Now().Add(time.Hour).UTC()
	txn := st.Txn().Delete(lay.QueueItem(id), stat.Version)
	if err := txn.Enqueue(task); err != nil {
		t.Fatal(err)
	}
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Cancel(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	got, err = c.Retry(context.Background(), id)
	if err != nil || got.Attempt != 2 || len(got.History) != 1 || got.History[0].N != 1 {
		t.Fatalf("retried %+v, %v: want attempt 2, which never ran", got, err)
	}
	// Once an attempt has run, a retry runs the next.
	done := got.Clone()
	done.AddAttempt(store.Attempt{N: 2, Worker: "w1", ExitCode: code})
	done.State, done.ExitCode, done.FinishedAt = store.StateFailed, &code, time.Now().UTC()
	if _, stat, err = st.Get(lay.QueueItem(id)); err != nil {
		t.Fatal(err)
	}
	txn = st.Txn().Delete(lay.QueueItem(id), stat.Version)
	if err := txn.Finish(done); err != nil {
		t.Fatal(err)
	}
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}
	if got, err = c.Retry(context.Background(), id); err != nil || got.Attempt != 3 || len(got.History) != 2 {
		t.Fatalf("retried %+v, %v: want attempt 3", got, err)
	}
}

// A slot's task the leader ended at its starting deadline runs when
// retried: the retry clears its StartBy (its attempt is the first still,
// which StartBy binds). A trigger carries none, even from a template that
// holds one (written by hand).
func TestRetryAndTriggerCarryNoStartBy(t *testing.T) {
	c, st := newClient(t)
	minus1 := -1
	done := &store.Task{ID: store.NewTaskID(time.Now()), Cmd: []string{"true"}, SubmittedAt: time.Now().UTC(), Attempt: 1,
		StartBy: time.Now().Add(-time.Minute).UTC(), State: store.StateCancelled, Error: store.NotStartedInTime,
		ExitCode: &minus1, FinishedAt: time.Now().UTC()}
	if err := st.CommitCreatingBuckets([]string{done.ID}, func(txn *store.Txn) error { return txn.Finish(done.Clone()) }); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Retry(context.Background(), done.ID); err != nil {
		t.Fatal(err)
	}
	if task, _ := queuedRecord(t, st, done.ID); task.Attempt != 1 || !task.StartBy.IsZero() {
		t.Fatalf("retried as attempt %d with start_by %v: want attempt 1 and none", task.Attempt, task.StartBy)
	}
	if err := st.AddSchedule(&store.Schedule{Name: "t", Cron: "0 0 1 1 *", Catchup: store.CatchupNone, CreatedAt: time.Now().UTC(),
		StartingDeadline: store.MillisOf(time.Second), KeepSucceeded: 10, KeepFailed: 10,
		Task: store.Task{Cmd: []string{"true"}, StartBy: time.Now().UTC()}}); err != nil {
		t.Fatal(err)
	}
	id, err := c.TriggerSchedule(context.Background(), "t")
	if err != nil {
		t.Fatal(err)
	}
	if task, _ := queuedRecord(t, st, id); !task.StartBy.IsZero() {
		t.Fatalf("triggered with start_by %v: want none", task.StartBy)
	}
}

// placeAndFinish moves the queued tasks placed onto workers (round robin,
// as a leader writes assignments) and the tasks finished to their results.
func placeAndFinish(t *testing.T, st *store.Store, placed, finished []string, workers ...string) {
	t.Helper()
	lay := st.Layout()
	for _, w := range workers {
		if err := st.EnsurePath(lay.WorkerTasks(w)); err != nil {
			t.Fatal(err)
		}
	}
	move := func(id string, build func(*store.Txn, *store.Task) error) {
		data, _, err := st.Get(lay.QueueItem(id))
		if err != nil {
			t.Fatal(err)
		}
		task, err := store.DecodeTask(data)
		if err != nil {
			t.Fatal(err)
		}
		txn := st.Txn().Delete(lay.QueueItem(id), -1)
		if err := build(txn, task); err != nil {
			t.Fatal(err)
		}
		if err := txn.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	for i, id := range placed {
		move(id, func(txn *store.Txn, task *store.Task) error {
			task.Worker = workers[i%len(workers)]
			return txn.Assign(task)
		})
	}
	for _, id := range finished {
		move(id, func(txn *store.Txn, task *store.Task) error {
			code := 0
			task.State, task.ExitCode, task.FinishedAt = store.StateSucceeded, &code, time.Now().UTC()
			return txn.Finish(task)
		})
	}
}

// A page of the newest tasks reads about as many records as it shows from
// each place (queued, placed, finished), however many tasks are in flight:
// a fleet with more in flight than a listing's budget showed no finished
// task at all, and said it had stopped short.
func TestListReadsAPageOfPlacedTasks(t *testing.T) {
	c, st := newClient(t)
	res, err := c.Submit(context.Background(), slices.Repeat([]TaskSpec{{Cmd: []string{"true"}}}, 90))
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(res))
	for i, r := range res {
		ids[i] = r.ID
	}
	// The oldest 30 run, the next 30 wait, the newest 30 are done.
	placeAndFinish(t, st, ids[:30], ids[60:], "w1", "w2", "w3")
	const limit = 5
	l, err := c.ListTasks(context.Background(), ListOptions{Limit: limit, Budget: 40})
	if err != nil {
		t.Fatal(err)
	}
	if l.Truncated || l.Scanned > 3*limit || len(l.Tasks) != limit {
		t.Fatalf("a page of %d read %d records (truncated: %v) for %d tasks", limit, l.Scanned, l.Truncated, len(l.Tasks))
	}
	for i, task := range l.Tasks {
		if want := ids[len(ids)-1-i]; task.ID != want || task.State != store.StateSucceeded {
			t.Fatalf("task %d of the page: %s %s, want %s succeeded", i, task.ID, task.State, want)
		}
	}
	// The newest placed tasks, newest first.
	l, err = c.ListTasks(context.Background(), ListOptions{State: store.StateAssigned, Limit: limit})
	if err != nil {
		t.Fatal(err)
	}
	if l.Scanned != limit || len(l.Tasks) != limit {
		t.Fatalf("a page of %d assigned tasks read %d records for %d tasks", limit, l.Scanned, len(l.Tasks))
	}
	for i, task := range l.Tasks {
		if want := ids[29-i]; task.ID != want {
			t.Fatalf("assigned task %d of the page: %s, want %s", i, task.ID, want)
		}
	}
}

// A listing's Slim sees each task it keeps as it is read, so a page of
// records near the size limit need not hold their payloads (the web API
// shows a payload by its size).
func TestListSlimsEachTaskKept(t *testing.T) {
	c, st := newClient(t)
	res, err := c.Submit(context.Background(), slices.Repeat([]TaskSpec{{Handler: "h", Payload: []byte("payload")}}, 9))
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(res))
	for i, r := range res {
		ids[i] = r.ID
	}
	placeAndFinish(t, st, ids[:3], ids[6:], "w1")
	slimmed := map[string]bool{}
	l, err := c.ListTasks(context.Background(), ListOptions{Limit: 9, Slim: func(t *store.Task) {
		slimmed[t.ID], t.Payload = true, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Tasks) != len(ids) {
		t.Fatalf("listed %d tasks, want %d", len(l.Tasks), len(ids))
	}
	for i, task := range l.Tasks {
		if want := ids[len(ids)-1-i]; task.ID != want || !slimmed[task.ID] || task.Payload != nil {
			t.Fatalf("task %d: %s (slimmed %v, payload %q), want %s slimmed", i, task.ID, slimmed[task.ID], task.Payload, want)
		}
	}
}

// A listing of a state that does not exist is a mistake to report, not an
// empty list.
func TestListOfAnUnknownStateIsInvalid(t *testing.T) {
	c, _ := newClient(t)
	if _, err := c.List(context.Background(), "bogus", 0); !errors.Is(err, ErrInvalid) {
		t.Fatalf("List(bogus): %v, want ErrInvalid", err)
	}
}

// finishedOver writes n succeeded results whose ids are spread a second and
// more apart from start: one result a bucket, as results that trickle in.
func finishedOver(t *testing.T, st *store.Store, start time.Time, n int) []string {
	t.Helper()
	ids := make([]string, n)
	txn := st.Txn()
	for i := range ids {
		at := start.Add(time.Duration(i) * 1100 * time.Millisecond)
		ids[i] = ulid.MustNew(ulid.Timestamp(at), ulid.DefaultEntropy()).String()
		if err := st.EnsureBuckets(ids[i]); err != nil {
			t.Fatal(err)
		}
		code := 0
		task := &store.Task{ID: ids[i], Cmd: []string{"true"}, SubmittedAt: at.UTC(), Attempt: 1,
			State: store.StateSucceeded, ExitCode: &code, FinishedAt: at.UTC()}
		if err := txn.Finish(task); err != nil {
			t.Fatal(err)
		}
	}
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}
	return ids
}

// A listing of results that came one a bucket lists the buckets, and reads
// their records, many at a time: one after the other, it waited for two
// round trips per record (a rare state filtered for seconds).
func TestListWalksSparseBucketsPipelined(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	const n = 200
	ids := finishedOver(t, st, time.Now().Add(-time.Hour), n)
	px := drovertest.StartProxy(t, drovertest.Addr())
	c := New(drovertest.OpenStoreAt(t, px.Addr(), root))

	req, trips := px.Requests(), px.RoundTrips()
	l, err := c.ListTasks(context.Background(), ListOptions{State: store.StateDead, Limit: 10})
	if err != nil || len(l.Tasks) != 0 || l.Scanned != n {
		t.Fatalf("dead tasks: %d, after %d records: %v", len(l.Tasks), l.Scanned, err)
	}
	req, trips = px.Requests()-req, px.RoundTrips()-trips
	t.Logf("%d buckets of one result: %d requests in %d round trips", n, req, trips)
	if req < 2*n || trips > n/2 {
		t.Fatalf("%d buckets of one result took %d requests in %d round trips", n, req, trips)
	}
	// The newest first, as before.
	l, err = c.ListTasks(context.Background(), ListOptions{Limit: 3})
	if err != nil || len(l.Tasks) != 3 || l.Tasks[0].ID != ids[n-1] || l.Tasks[2].ID != ids[n-3] {
		t.Fatalf("newest 3: %v %v", l.Tasks, err)
	}
}

// Waiting for many tasks whose results trickled in, one a bucket, lists
// the buckets and reads the results many at a time, and a task finishing
// meanwhile in a bucket of its own is still seen: bucket by bucket, wait
// -f of 9,699 finished ids over 4,035 buckets took two round trips per
// bucket (13,736 requests, 14.6 s with 1 ms added per reply).
func TestWaitAllOverSparseBucketsPipelined(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	const n, later = 200, 50
	start := time.Now().Add(-time.Hour)
	ids := finishedOver(t, st, start, n)
	// Tasks still queued, each in a bucket of its own among the others'.
	var queued []string
	txn := st.Txn()
	for i := range later {
		at := start.Add(time.Duration(i)*10*1100*time.Millisecond + 550*time.Millisecond)
		id := ulid.MustNew(ulid.Timestamp(at), ulid.DefaultEntropy()).String()
		if err := st.EnsureBuckets(id); err != nil {
			t.Fatal(err)
		}
		if err := txn.Enqueue(&store.Task{ID: id, Cmd: []string{"true"}, SubmittedAt: at.UTC(), Attempt: 1}); err != nil {
			t.Fatal(err)
		}
		queued = append(queued, id)
	}
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}
	px := drovertest.StartProxy(t, drovertest.Addr())
	c := New(drovertest.OpenStoreAt(t, px.Addr(), root))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	req, trips := px.Requests(), px.RoundTrips()
	got := map[string]bool{}
	if err := c.WaitAll(ctx, ids, func(t *store.Task) { got[t.ID] = true }); err != nil || len(got) != n {
		t.Fatalf("wait: %d of %d finished tasks, %v", len(got), n, err)
	}
	req, trips = px.Requests()-req, px.RoundTrips()-trips
	t.Logf("%d buckets of one result: %d requests in %d round trips", n, req, trips)
	if trips > n/4 {
		t.Fatalf("%d buckets of one result took %d requests in %d round trips", n, req, trips)
	}

	// Waiting for the queued tasks looks for each in its queue bucket, the
	// buckets many at a time too, and sees them finish while it watches.
	var seen atomic.Int32
	waited := make(chan error, 1)
	req, trips = px.Requests(), px.RoundTrips()
	go func() { waited <- c.WaitAll(ctx, queued, func(*store.Task) { seen.Add(1) }) }()
	// A listing of each result bucket and of each queue bucket, where all
	// are found: then the wait only watches.
	drovertest.WaitFor(t, 10*time.Second, "the queued tasks looked for", func() bool { return px.Requests()-req >= 2*later })
	trips = px.RoundTrips() - trips
	t.Logf("%d tasks queued in buckets of their own: %d round trips before watching", later, trips)
	if trips > later/4 {
		t.Fatalf("%d tasks queued in buckets of their own: %d round trips before watching", later, trips)
	}
	placeAndFinish(t, st, nil, queued)
	if err := <-waited; err != nil || seen.Load() != later {
		t.Fatalf("wait: %d of %d tasks, %v", seen.Load(), later, err)
	}
}

// Reading a large fleet's registrations takes a few round trips, not one per
// worker: drover workers, drover status of a queued task and the
// dashboard's every poll read them all.
func TestWorkersReadsRegistrationsPipelined(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	const n = 100
	for i := range n {
		id := fmt.Sprintf("w%03d", i)
		reg, err := store.Encode(&store.WorkerInfo{ID: id, Host: "h", PID: 42, Capacity: 4, Version: "test"})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := st.CreateEphemeral(context.Background(), st.Layout().Worker(id), reg); err != nil {
			t.Fatal(err)
		}
	}
	px := drovertest.StartProxy(t, drovertest.Addr())
	c := New(drovertest.OpenStoreAt(t, px.Addr(), root))
	req, trips := px.Requests(), px.RoundTrips()
	ws, err := c.Workers(context.Background())
	if err != nil || len(ws) != n || ws[0].ID != "w000" || ws[n-1].ID != "w099" || ws[7].Capacity != 4 {
		t.Fatalf("workers: %d, %v", len(ws), err)
	}
	req, trips = px.Requests()-req, px.RoundTrips()-trips
	t.Logf("%d workers: %d requests in %d round trips", n, req, trips)
	if trips > n/3 {
		t.Fatalf("%d workers took %d requests in %d round trips", n, req, trips)
	}
}

// Cancelling many running tasks lists the workers' assignment directories
// about once, not once per task: drover cancel of 50 running tasks on a
// fleet of 500 workers made 25,000 listings.
func TestCancelOfManyPlacedTasksListsOnce(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	const n, workers = 20, 20
	res, err := New(st).Submit(context.Background(), slices.Repeat([]TaskSpec{{Cmd: []string{"sleep", "60"}}}, n))
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, n)
	for i, r := range res {
		ids[i] = r.ID
	}
	ws := make([]string, workers)
	for i := range ws {
		ws[i] = fmt.Sprintf("w%02d", i)
	}
	placeAndFinish(t, st, ids, nil, ws...)

	px := drovertest.StartProxy(t, drovertest.Addr())
	c := New(drovertest.OpenStoreAt(t, px.Addr(), root))
	req := px.Requests()
	for _, id := range ids {
		task, err := c.Cancel(context.Background(), id)
		if err != nil || task.State != store.StateCancelled {
			t.Fatalf("cancel %s: %v", id, err)
		}
	}
	req = px.Requests() - req
	// Each: its result and queue item looked for, its assignment read, one
	// transaction; and one listing of every worker for them all, after a
	// sync and a read of the first task's queue and result buckets (see
	// store.LookupTaskIn).
	if most := int64(n*(2+1+1) + workers + 1 + 1 + 2); req > most {
		t.Fatalf("cancelling %d tasks placed on %d workers took %d requests (want at most %d)", n, workers, req, most)
	}
	for _, id := range ids {
		if task, err := c.Status(context.Background(), id); err != nil || task.State != store.StateCancelled {
			t.Fatalf("status of %s after the cancel: %v %v", id, task, err)
		}
	}
	// A task placed again after the listing is found where it went.
	again, err := c.Submit(context.Background(), []TaskSpec{{Cmd: []string{"true"}}})
	if err != nil {
		t.Fatal(err)
	}
	placeAndFinish(t, st, []string{again[0].ID}, nil, "w07")
	task, err := c.Status(context.Background(), again[0].ID)
	if err != nil || task.State != store.StateAssigned || task.Worker != "w07" {
		t.Fatalf("status of a task placed after the listing: %+v %v", task, err)
	}
	// And where it went next, after its worker was lost (attempt 2 elsewhere).
	lay := st.Layout()
	txn := st.Txn().Delete(lay.Assignment("w07", task.ID, 1), -1)
	task.Worker, task.Attempt = "w03", 2
	if err := txn.Assign(task); err != nil {
		t.Fatal(err)
	}
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}
	if task, err := c.Status(context.Background(), again[0].ID); err != nil || task.Worker != "w03" || task.Attempt != 2 {
		t.Fatalf("status of a task placed elsewhere since: %+v %v", task, err)
	}
}

// A task cancelled while queued and retried is queued again under the same
// name: its new item must not stand at the version of the one the cancel
// deleted, which a leader may still hold (and place, deleting the item at
// that version), and a manifest tells the leader to read it. Each round of
// cancel and retry takes the item a version further. Both items stood at
// version 1.
func TestRetryAfterCancelQueuesANewGeneration(t *testing.T) {
	c, st := newClient(t)
	lay := st.Layout()
	res, err := c.Submit(context.Background(), []TaskSpec{{Cmd: []string{"true"}, Retries: 3}})
	if err != nil {
		t.Fatal(err)
	}
	id := res[0].ID
	// Attempt 1 failed; attempt 2 waits out its backoff.
	task, stat := queuedRecord(t, st, id)
	task.AddAttempt(store.Attempt{N: 1, Worker: "w1", ExitCode: 3})
	task.Attempt, task.NotBefore = 2, time.Now().Add(time.Hour).UTC()
	txn := st.Txn().Delete(lay.QueueItem(id), stat.Version)
	if err := txn.Enqueue(task); err != nil {
		t.Fatal(err)
	}
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}
	b1, b2 := store.Bucket(id)
	bucket := lay.QueueBucket(b1, b2)
	for round := 1; round <= 2; round++ {
		_, before := queuedRecord(t, st, id)
		if _, err := c.Cancel(context.Background(), id); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Retry(context.Background(), id); err != nil {
			t.Fatal(err)
		}
		got, after := queuedRecord(t, st, id)
		if after.Version <= before.Version || got.Gen != round || after.Version != store.EnqueuedVersionOf(got) {
			t.Fatalf("round %d: the retry's item at version %d (generation %d), the cancelled one's at %d", round, after.Version, got.Gen, before.Version)
		}
		if !got.NotBefore.IsZero() || got.Retries != 3 || got.RetryLimit == nil || *got.RetryLimit != 1 || got.Attempt != 2 {
			t.Fatalf("round %d: retried %+v", round, got)
		}
		data, _, err := st.Get(bucket + "/" + firstManifest(t, st, bucket))
		if err != nil {
			t.Fatal(err)
		}
		copies, requeued, err := store.DecodeQueueManifest(data)
		if err != nil || len(copies) != 0 || len(requeued) != 1 || requeued[0] != id {
			t.Fatalf("round %d: manifest %s (%v): want one naming %s", round, data, err, id)
		}
		if err := st.Delete(bucket+"/"+firstManifest(t, st, bucket), -1); err != nil {
			t.Fatal(err)
		}
	}
}

// firstManifest names a manifest in dir, failing the test if there is none.
func firstManifest(t *testing.T, st *store.Store, dir string) string {
	t.Helper()
	kids, err := st.Children(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range kids {
		if store.IsManifestName(k) {
			return k
		}
	}
	t.Fatalf("no manifest in %s (%v)", dir, kids)
	return ""
}

// Cancel and Retry back to back, on a task waiting out a backoff, with a
// leader running that has enough ready work (tasks no worker takes) to list
// changed queue buckets only every 250 ms: the retry runs now, with the
// record it wrote. The leader listed the bucket after both (4 runs in 5; a
// listing between them saw the item gone), found the name it knew and kept
// the record it held, at the same version: the task waited out the old
// backoff (an hour here), then ran with the old retries.
func TestCancelAndRetryUnderABusyLeader(t *testing.T) {
	root := drovertest.NewRoot()
	c, st := New(drovertest.OpenStore(t, root)), drovertest.OpenStore(t, root)
	lay := st.Layout()
	blocked := make([]TaskSpec, 300)
	for i := range blocked {
		blocked[i] = TaskSpec{Cmd: []string{"true"}, On: map[string]string{"gpu": "true"}}
	}
	if _, err := c.Submit(context.Background(), blocked); err != nil {
		t.Fatal(err)
	}
	res, err := c.Submit(context.Background(), []TaskSpec{{Cmd: []string{"true"}, Retries: 3}})
	if err != nil {
		t.Fatal(err)
	}
	id := res[0].ID
	// Attempt 1 failed; attempt 2 waits out an hour's backoff.
	task, stat := queuedRecord(t, st, id)
	task.AddAttempt(store.Attempt{N: 1, Worker: "w0", ExitCode: 3})
	task.Attempt, task.NotBefore = 2, time.Now().Add(time.Hour).UTC()
	txn := st.Txn().Delete(lay.QueueItem(id), stat.Version)
	if err := txn.Enqueue(task); err != nil {
		t.Fatal(err)
	}
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}
	info, err := store.Encode(&store.WorkerInfo{ID: "w1", Host: "test", Capacity: 1, StartedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	wst := drovertest.OpenStore(t, root)
	if _, _, err := wst.CreateEphemeral(context.Background(), lay.Worker("w1"), info); err != nil {
		t.Fatal(err)
	}
	if err := wst.EnsurePath(lay.WorkerTasks("w1")); err != nil {
		t.Fatal(err)
	}
	s := runLeader(t, root)
	drovertest.WaitFor(t, 10*time.Second, "the leader holds every task", func() bool {
		st := s.Stats()
		return st.Leader && st.Queued["normal"] == int64(len(blocked)+1)
	})

	if _, err := c.Cancel(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Retry(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	p := lay.Assignment("w1", id, 2)
	drovertest.WaitFor(t, 10*time.Second, "the retry placed", func() bool {
		ok, _, err := st.Exists(p)
		return err == nil && ok
	})
	data, _, err := st.Get(p)
	if err != nil {
		t.Fatal(err)
	}
	placed, err := store.DecodeTask(data)
	if err != nil || placed.RetryLimit == nil || *placed.RetryLimit != 1 {
		t.Fatalf("placed %+v (%v): want the retry's record, a limit of 1 failure", placed, err)
	}
}

// deadlettered fails the test unless path is gone and a deadletter record
// came from it.
func deadlettered(t *testing.T, c *Client, st *store.Store, path string) {
	t.Helper()
	if ok, _, err := st.Exists(path); err != nil || ok {
		t.Fatalf("%s is still there (%v)", path, err)
	}
	dl, _, err := c.Deadletters(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dl {
		if d.From == path {
			return
		}
	}
	t.Fatalf("no deadletter record from %s: %+v", path, dl)
}

// Wait, WaitAll, Cancel and Retry of a task whose record (result, queue
// item or assignment) does not decode move that record to deadletter, as
// Status does, and fail for that task with ErrMalformed naming it. They
// failed and left the record where it was, for every later call to trip
// on.
func TestMalformedTaskRecordsAreMovedAside(t *testing.T) {
	c, st := newClient(t)
	lay := st.Layout()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const junk = "{not a task"
	submit := func() string {
		t.Helper()
		res, err := c.Submit(ctx, []TaskSpec{{Cmd: []string{"true"}}})
		if err != nil {
			t.Fatal(err)
		}
		return res[0].ID
	}
	// A queued task whose result is junk (a queue item and a result at
	// once: the result is read first, and wins).
	junkResult := func() string {
		t.Helper()
		id := submit()
		if err := st.Create(lay.Result(id), []byte(junk)); err != nil {
			t.Fatal(err)
		}
		return id
	}
	junkQueueItem := func() string {
		t.Helper()
		id := submit()
		if _, err := st.Set(lay.QueueItem(id), []byte(junk), -1); err != nil {
			t.Fatal(err)
		}
		return id
	}
	// A task placed on w1 whose assignment is junk.
	junkAssignment := func() string {
		t.Helper()
		id := submit()
		placeAndFinish(t, st, []string{id}, nil, "w1")
		if _, err := st.Set(lay.Assignment("w1", id, 1), []byte(junk), -1); err != nil {
			t.Fatal(err)
		}
		return id
	}
	malformedFor := func(what, id string, err error) {
		t.Helper()
		if !errors.Is(err, store.ErrMalformed) || !strings.Contains(err.Error(), id) ||
			!strings.Contains(err.Error(), "moved to deadletter") || strings.Contains(err.Error(), "\n") {
			t.Fatalf("%s of %s: %v; want one line of ErrMalformed naming the task, moved to deadletter", what, id, err)
		}
	}
	ops := map[string]func(string) error{
		"wait":   func(id string) error { _, err := c.Wait(ctx, id); return err },
		"cancel": func(id string) error { _, err := c.Cancel(context.Background(), id); return err },
		"retry":  func(id string) error { _, err := c.Retry(context.Background(), id); return err },
	}
	for _, name := range []string{"wait", "cancel", "retry"} {
		for _, rec := range []struct {
			what string
			make func() string
			path func(string) string
		}{
			{"result", junkResult, lay.Result},
			{"queue item", junkQueueItem, lay.QueueItem},
			{"assignment", junkAssignment, func(id string) string { return lay.Assignment("w1", id, 1) }},
		} {
			id := rec.make()
			malformedFor(name+" with a junk "+rec.what, id, ops[name](id))
			deadlettered(t, c, st, rec.path(id))
		}
	}

	// WaitAll: the good result is passed on, the junk one moved aside,
	// and the wait fails naming its task.
	good, bad := submit(), junkResult()
	if _, err := c.Cancel(context.Background(), good); err != nil {
		t.Fatal(err)
	}
	var got []string
	err := c.WaitAll(ctx, []string{good, bad}, func(task *store.Task) { got = append(got, task.ID) })
	malformedFor("wait for two", bad, err)
	if !slices.Equal(got, []string{good}) {
		t.Fatalf("wait for two passed on %v, want %s only", got, good)
	}
	deadlettered(t, c, st, lay.Result(bad))
	// Moved aside, the junk stands in the way no more: the task is found
	// queued, where it is, and the wait waits for it.
	short, cancelShort := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancelShort()
	if err := c.WaitAll(short, []string{good, bad}, func(*store.Task) {}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("wait for two once the junk is moved aside: %v", err)
	}
	if task, err := c.Status(context.Background(), bad); err != nil || task.State != store.StateQueued {
		t.Fatalf("status once the junk is moved aside: %+v %v", task, err)
	}
}

// A result that turns out junk while Wait watches for it is moved aside
// too: Wait read the queue item first, and the result comes later.
func TestWaitMovesAsideAJunkResultThatLands(t *testing.T) {
	c, st := newClient(t)
	lay := st.Layout()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := c.Submit(ctx, []TaskSpec{{Cmd: []string{"true"}}})
	if err != nil {
		t.Fatal(err)
	}
	id := res[0].ID
	// Once Wait has looked the task up and watches for its result, the
	// task "finishes" with junk.
	done := make(chan error, 1)
	testHookWaitResult = func() {
		done <- st.Txn().Delete(lay.QueueItem(id), -1).Create(lay.Result(id), []byte("{junk")).Commit()
	}
	defer func() { testHookWaitResult = nil }()
	_, err = c.Wait(ctx, id)
	if werr := <-done; werr != nil {
		t.Fatal(werr)
	}
	if !errors.Is(err, store.ErrMalformed) || !strings.Contains(err.Error(), "moved to deadletter") {
		t.Fatalf("wait: %v; want ErrMalformed, moved to deadletter", err)
	}
	deadlettered(t, c, st, lay.Result(id))
}

// A trigger, pause or resume whose reply was lost is looked for once the
// store is back: it succeeds (it exited 1 though applied, and a trigger run
// again by hand then ran twice), and a trigger applied is not sent again.
func TestLostScheduleUpdateReplies(t *testing.T) {
	root := drovertest.NewRoot()
	px := drovertest.StartProxy(t, drovertest.Addr())
	c := New(drovertest.OpenStoreAt(t, px.Addr(), root))
	st := drovertest.OpenStore(t, root)
	if _, err := New(st).AddSchedule(context.Background(), ScheduleSpec{Name: "nightly", Cron: "@daily", Task: TaskSpec{Cmd: []string{"true"}}}); err != nil {
		t.Fatal(err)
	}
	// The queue buckets of the next seconds exist: a trigger's first try
	// must not be the one that finds its bucket missing (that reply, lost
	// too, would hold it).
	now := time.Now()
	for k := range 80 {
		filler := &store.Task{ID: ulid.MustNew(ulid.Timestamp(now.Add(time.Duration(k)*250*time.Millisecond)), rand.Reader).String(),
			Cmd: []string{"true"}, SubmittedAt: now}
		if _, err := st.Submit(context.Background(), []*store.Task{filler}); err != nil {
			t.Fatal(err)
		}
		if err := st.Delete(st.Layout().QueueItem(filler.ID), -1); err != nil {
			t.Fatal(err)
		}
	}
	read := func() *store.Schedule {
		t.Helper()
		rec, _ := storedSchedule(t, st, "nightly")
		return rec
	}
	// lose runs op with the reply of its write (marked by marker) lost once
	// applied, as seen by applied.
	lose := func(what, marker string, op func() error, applied func() bool) {
		t.Helper()
		px.DropRepliesAfter([]byte(marker))
		done := make(chan error, 1)
		go func() { done <- op() }()
		drovertest.WaitFor(t, 10*time.Second, what+" applied", applied)
		px.Cut(true)
		px.Cut(false)
		if err := <-done; err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	var id string
	lose("trigger", `"triggered"`, func() (err error) { id, err = c.TriggerSchedule(context.Background(), "nightly"); return err },
		func() bool { return len(read().Active) > 0 })
	if rec := read(); len(rec.Active) != 1 || rec.Active[0].Task != id {
		t.Fatalf("after a trigger whose reply was lost: active %+v, want one run, %s", rec.Active, id)
	}
	if q := drovertest.QueuedIDs(t, st); len(q) != 1 || q[0] != id {
		t.Fatalf("queued %v, want the one triggered task %s", q, id)
	}
	lose("pause", `"suspended":true`, func() error { _, err := c.PauseSchedule(context.Background(), "nightly"); return err },
		func() bool { return read().Suspended })
	lose("resume", `"nightly"`, func() error { _, err := c.ResumeSchedule(context.Background(), "nightly"); return err },
		func() bool { return !read().Suspended })
}

// storedSchedule reads schedule name's record as it stands in ZooKeeper.
func storedSchedule(t *testing.T, st *store.Store, name string) (*store.Schedule, store.Stat) {
	t.Helper()
	data, stat, err := st.Get(st.Layout().Schedule(name))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := store.DecodeSchedule(data)
	if err != nil {
		t.Fatal(err)
	}
	return rec, stat
}

// A submit whose reply was lost, and whose look for its tasks loses its
// connection too (a whole ensemble restarting), looks again once back:
// it failed, though its task was queued, and the caller was told the
// submit was in flight. (Found by review.)
func TestLostSubmitReplyWhoseLookLosesItsConnectionToo(t *testing.T) {
	root := drovertest.NewRoot()
	px := drovertest.StartProxy(t, drovertest.Addr())
	c := New(drovertest.OpenStoreAt(t, px.Addr(), root))
	st := drovertest.OpenStore(t, root)
	done := submitWhoseLookIsCut(context.Background(), t, c, px, st, root)
	px.Cut(false)
	got := <-done
	ids := drovertest.QueuedIDs(t, st)
	if got.err != nil || len(got.res) != 1 || len(ids) != 1 || got.res[0].ID != ids[0] {
		t.Fatalf("submit: %+v, %v; queued %v", got.res, got.err, ids)
	}
}

// A submit whose look for its lost write lost its connection too waited
// for the store to connect again for as long as a connect may take (a
// session timeout), though its caller had given up (Ctrl-C): the wait took
// no context. It now ends when the caller's context does.
func TestSubmitCancelledWhileItWaitsToLookAgainEnds(t *testing.T) {
	root := drovertest.NewRoot()
	px := drovertest.StartProxy(t, drovertest.Addr())
	// A session timeout far longer than the wait below: the server may cap
	// it (20 ticks), which is still 40 s at ZooKeeper's default tick.
	c := New(drovertest.OpenStoreFor(t, px.Addr(), root, time.Minute))
	st := drovertest.OpenStore(t, root)
	waiting := make(chan struct{}, 1)
	testHookReconnecting = func() {
		select {
		case waiting <- struct{}{}:
		default:
		}
	}
	t.Cleanup(func() { testHookReconnecting = nil })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := submitWhoseLookIsCut(ctx, t, c, px, st, root) // and left cut
	<-waiting
	cancel()
	select {
	case got := <-done:
		if got.err == nil {
			t.Fatalf("a cancelled submit whose outcome is unknown: %+v, no error", got.res)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("the submit went on waiting for a connection %v after its context was cancelled", 15*time.Second)
	}
}

// submitWhoseLookIsCut submits one task through px whose reply is lost,
// then cuts the connection of the look that follows (at its first request,
// a sync of the root) and leaves px cut. It returns what the submit will
// return.
func submitWhoseLookIsCut(ctx context.Context, t *testing.T, c *Client, px *drovertest.Proxy, st *store.Store, root string) <-chan submitOutcome {
	t.Helper()
	ensureNextBuckets(t, st) // as in TestLostSubmitReplyOfATaskFinishingMeanwhile
	// The look's first request, a sync of the root (opcode 9), goes
	// unanswered: its connection is lost.
	sync := binary.BigEndian.AppendUint32(nil, 9)
	sync = binary.BigEndian.AppendUint32(sync, uint32(len(root)))
	sync = append(sync, root...)
	var looks atomic.Int32
	testHookLanded = func() {
		if looks.Add(1) == 1 {
			px.FreezeAt(sync)
		}
	}
	t.Cleanup(func() { testHookLanded = nil })
	done := submitWithReplyLost(ctx, c, px, root)
	drovertest.WaitFor(t, 10*time.Second, "the submit applied", func() bool { return len(drovertest.QueuedIDs(t, st)) == 1 })
	px.Cut(true)
	px.Cut(false)
	drovertest.WaitFor(t, 10*time.Second, "the look's sync sent", px.Frozen)
	px.Cut(true)
	return done
}

// ensureNextBuckets makes the buckets a task submitted now will go in, so
// that its first transaction is the one that applies: ten windows from the
// id generator's time, which may be ahead of the clock.
func ensureNextBuckets(t *testing.T, st *store.Store) {
	t.Helper()
	next := ulid.Time(ulid.MustParse(store.NewTaskID(time.Now())).Time())
	for i := range 10 {
		if err := st.EnsureBuckets(store.IDAt(next.Add(time.Duration(i) * store.BucketWindow))); err != nil {
			t.Fatal(err)
		}
	}
}

// submitOutcome is what a Submit returned.
type submitOutcome struct {
	res []store.SubmitResult
	err error
}

// submitWithReplyLost submits one task from a goroutine through px, whose
// replies are dropped from the submit's request on (its reply is lost),
// and sends what the submit returned.
func submitWithReplyLost(ctx context.Context, c *Client, px *drovertest.Proxy, root string) <-chan submitOutcome {
	done := make(chan submitOutcome, 1)
	marker := "lost-reply-" + root
	px.DropRepliesAfter([]byte(marker))
	go func() {
		res, err := c.Submit(ctx, []TaskSpec{{Cmd: []string{"echo", marker}}})
		done <- submitOutcome{res, err}
	}()
	return done
}

// A cancel or a retry whose store is closed with its write in flight may
// have been applied: it fails with ErrUnconfirmed (and store.ErrClosed),
// not with a bare "store closed" a caller would take for a write refused.
func TestCancelAndRetryCutOffByCloseAreUnconfirmed(t *testing.T) {
	for _, op := range []string{"cancel", "retry"} {
		t.Run(op, func(t *testing.T) {
			root := drovertest.NewRoot()
			px := drovertest.StartProxy(t, drovertest.Addr())
			cst := drovertest.OpenStoreAt(t, px.Addr(), root)
			st := drovertest.OpenStore(t, root)
			res, err := New(st).Submit(context.Background(), []TaskSpec{{Cmd: []string{"true"}}})
			if err != nil {
				t.Fatal(err)
			}
			id := res[0].ID
			hook, call := &testHookCancelCommit, func() error { _, err := New(cst).Cancel(context.Background(), id); return err }
			if op == "retry" {
				if _, err := New(st).Cancel(context.Background(), id); err != nil {
					t.Fatal(err)
				}
				hook, call = &testHookRetryCommit, func() error { _, err := New(cst).Retry(context.Background(), id); return err }
			}
			closed := make(chan struct{})
			*hook = func() {
				*hook = nil
				n := px.Requests()
				px.DropReplies()
				go func() {
					defer close(closed)
					drovertest.WaitFor(t, 10*time.Second, "the write sent", func() bool { return px.Requests() > n })
					cst.Close()
				}()
			}
			t.Cleanup(func() { *hook = nil })
			err = call()
			<-closed
			if !errors.Is(err, ErrUnconfirmed) || !errors.Is(err, store.ErrClosed) {
				t.Fatalf("%s cut off by Close: %v; want ErrUnconfirmed and store.ErrClosed", op, err)
			}
		})
	}
}

// A schedule add or removal that ZooKeeper applied but whose reply was lost
// succeeds once the client is back: it finds its own change. Both failed
// with "connection lost" (exit 1) though they took effect, and doing it
// again then failed too ("schedule exists", "no such schedule"). (Found by
// review.)
func TestLostScheduleAddAndRemoveReplies(t *testing.T) {
	root := drovertest.NewRoot()
	px := drovertest.StartProxy(t, drovertest.Addr())
	c := New(drovertest.OpenStoreAt(t, px.Addr(), root))
	st := drovertest.OpenStore(t, root)
	p := st.Layout().Schedule("lost-reply")
	lose := func(what, marker string, op func() error, applied func() bool) {
		t.Helper()
		px.DropRepliesAfter([]byte(marker))
		done := make(chan error, 1)
		go func() { done <- op() }()
		drovertest.WaitFor(t, 10*time.Second, what+" applied", applied)
		px.Cut(true)
		px.Cut(false)
		if err := <-done; err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	record := func() *store.Schedule {
		data, _, err := st.Get(p)
		if errors.Is(err, store.ErrNoNode) {
			return nil
		}
		if err != nil {
			t.Fatal(err)
		}
		rec, err := store.DecodeSchedule(data)
		if err != nil {
			t.Fatal(err)
		}
		return rec
	}
	var added *store.Schedule
	lose("add", p, func() (err error) {
		added, err = c.AddSchedule(context.Background(), ScheduleSpec{Name: "lost-reply", Cron: "@daily", Task: TaskSpec{Cmd: []string{"true"}}})
		return err
	}, func() bool { r := record(); return r != nil && !r.Removed })
	if r := record(); added == nil || !added.CreatedAt.Equal(r.CreatedAt) {
		t.Fatalf("added %+v, recorded %+v", added, r)
	}
	lose("remove", `"removed":true`, func() error { return c.RemoveSchedule(context.Background(), "lost-reply") },
		func() bool { r := record(); return r == nil || r.Removed })
}

// drover workers tells a worker's running assignments from those waiting
// for a slot by count: up to its capacity they run (or are starting), the
// rest wait there (its prefetch), without reading each assignment.
func TestWorkersRunningUpToCapacityTheRestWaiting(t *testing.T) {
	c, st := newClient(t)
	ctx := context.Background()
	lay := st.Layout()
	reg, err := store.Encode(&store.WorkerInfo{ID: "w1", Host: "h", Capacity: 1, Prefetch: 3, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.CreateEphemeral(ctx, lay.Worker("w1"), reg); err != nil {
		t.Fatal(err)
	}
	if err := st.EnsurePath(lay.WorkerTasks("w1")); err != nil {
		t.Fatal(err)
	}
	txn := st.Txn()
	for range 3 {
		if err := txn.Assign(&store.Task{ID: ulid.Make().String(), Cmd: []string{"true"}, Worker: "w1", Attempt: 1, SubmittedAt: time.Now().UTC()}); err != nil {
			t.Fatal(err)
		}
	}
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}
	ws, err := c.Workers(context.Background())
	if err != nil || len(ws) != 1 || ws[0].Running != 1 || ws[0].Waiting != 2 {
		t.Fatalf("workers of a worker of capacity 1 given 3: %+v %v, want 1 running, 2 waiting", ws, err)
	}
}
