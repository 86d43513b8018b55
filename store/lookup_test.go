package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// A task record that does not decode is a *RecordError naming the task,
// the path and the stat read, from every read of a task's record, so that
// the caller can move that very record aside (client.Wait and WaitAll did
// not know where the result they could not read was).
func TestUnreadableTaskRecordIsARecordError(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	lay := st.Layout()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	now := time.Now()
	good := &store.Task{ID: store.NewTaskID(now), Cmd: []string{"true"}, SubmittedAt: now.UTC(), Attempt: 1,
		State: store.StateSucceeded, FinishedAt: now.UTC()}
	bad := store.NewTaskID(now)
	if err := st.CommitCreatingBuckets([]string{good.ID}, func(txn *store.Txn) error { return txn.Finish(good) }); err != nil {
		t.Fatal(err)
	}
	if err := st.Create(lay.Result(bad), []byte("{junk")); err != nil {
		t.Fatal(err)
	}
	_, stat, err := st.Get(lay.Result(bad))
	if err != nil {
		t.Fatal(err)
	}
	check := func(what string, err error) {
		t.Helper()
		var rerr *store.RecordError
		if !errors.As(err, &rerr) || !errors.Is(err, store.ErrMalformed) || rerr.Task != bad ||
			rerr.Loc.Path != lay.Result(bad) || rerr.Loc.Stat.Czxid != stat.Czxid || rerr.Loc.Stat.Version != stat.Version {
			t.Fatalf("%s: %#v; want a RecordError of %s at %s", what, err, bad, lay.Result(bad))
		}
	}
	var got []string
	check("WaitResults", st.WaitResults(ctx, []string{bad, good.ID}, func(t *store.Task) { got = append(got, t.ID) }))
	if len(got) != 1 || got[0] != good.ID {
		t.Fatalf("WaitResults passed on %v, want the readable result of %s", got, good.ID)
	}
	_, err = st.WaitResult(ctx, bad)
	check("WaitResult", err)
	_, loc, err := st.LookupTask(bad)
	check("LookupTask", err)
	if loc.Path != lay.Result(bad) {
		t.Fatalf("LookupTask: location %+v", loc)
	}
}

// addWorkerDirs makes n empty assignment directories, as n idle workers
// have, w000 and on.
func addWorkerDirs(t *testing.T, st *store.Store, n int) {
	t.Helper()
	lay := st.Layout()
	for start := 0; start < n; start += store.MaxBatch {
		txn := st.Txn()
		for i := start; i < min(n, start+store.MaxBatch); i++ {
			txn.Create(lay.WorkerTasks(fmt.Sprintf("w%03d", i)), nil)
		}
		if err := txn.Commit(); err != nil {
			t.Fatal(err)
		}
	}
}

// Looking up an id that is nowhere lists the workers' assignments once,
// not three times: the task's queue and result buckets, read before the
// listing and again after it, show that it did not move meanwhile. With
// 500 workers it took some 1,500 requests.
func TestUnknownTaskListsWorkersOnce(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	const workers = 500
	addWorkerDirs(t, st, workers)
	// A task queued, whose buckets the unknown id shares.
	now := time.Now()
	queued := &store.Task{ID: store.NewTaskID(now), Cmd: []string{"true"}, SubmittedAt: now.UTC(), Attempt: 1, State: store.StateQueued}
	if _, err := st.Submit(context.Background(), []*store.Task{queued}); err != nil {
		t.Fatal(err)
	}
	px := drovertest.StartProxy(t, drovertest.Addr())
	via := drovertest.OpenStoreAt(t, px.Addr(), root)
	for _, c := range []struct{ what, id string }{
		{"an id in the buckets of a queued task", store.NewTaskID(now)},
		{"an id of a time no bucket holds", ulid.MustNew(ulid.Timestamp(now.Add(-30*24*time.Hour)), nil).String()},
	} {
		before := px.Requests()
		_, _, err := via.LookupTask(c.id)
		n := px.Requests() - before
		if !errors.Is(err, store.ErrUnknownTask) {
			t.Fatalf("%s: %v; want ErrUnknownTask", c.what, err)
		}
		// Result and queue item twice; the queue and result buckets
		// before the listing (up to 4 reads each, with the directories
		// above a bucket that is not there) and after (up to 2 each);
		// a sync before it; one listing of every worker's assignments.
		if most := int64(2*2 + 2*6 + 1 + 1 + workers); n > most {
			t.Fatalf("%s: %d requests with %d workers; want at most %d", c.what, n, workers, most)
		}
		t.Logf("%s: %d requests with %d workers", c.what, n, workers)
	}
	// A task that is there is found as it was.
	if got, _, err := via.LookupTask(queued.ID); err != nil || got.ID != queued.ID {
		t.Fatalf("lookup of the queued task: %+v %v", got, err)
	}
}

// A task that moves while the assignments are listed, back to the queue
// just before and onto another worker just after (its worker lost, and the
// task placed again), is missed by the listing, and its result and queue
// item are missing when read again; but its queue bucket changed
// meanwhile, and the assignments are listed again, where it is found. It
// is not taken for unknown. So too when its queue bucket was gone, made
// again for the item and removed again once it was placed: the first-level
// bucket changed.
func TestLookupFindsATaskMovingAroundTheListing(t *testing.T) {
	for _, tidied := range []bool{false, true} {
		t.Run(fmt.Sprintf("tidied=%v", tidied), func(t *testing.T) { lookupAroundTheListing(t, tidied) })
	}
}

func lookupAroundTheListing(t *testing.T, tidied bool) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	lay := st.Layout()
	addWorkerDirs(t, st, 3)
	now := time.Now()
	task := &store.Task{ID: store.NewTaskID(now), Cmd: []string{"true"}, SubmittedAt: now.UTC(), Attempt: 1, State: store.StateQueued}
	if _, err := st.Submit(context.Background(), []*store.Task{task}); err != nil {
		t.Fatal(err)
	}
	qb := lay.QueueBucket(store.Bucket(task.ID))
	move := func(build func(*store.Txn) error) {
		t.Helper()
		if err := st.CommitCreatingBuckets([]string{task.ID}, build); err != nil {
			t.Fatal(err)
		}
	}
	place := func(worker string) {
		task.Worker = worker
		move(func(txn *store.Txn) error {
			txn.Delete(lay.QueueItem(task.ID), -1)
			if err := txn.Assign(task.Clone()); err != nil {
				return err
			}
			if tidied { // the emptied bucket removed, as a leader does
				txn.Delete(qb, -1)
			}
			return nil
		})
	}
	place("w000")
	listings := 0
	defer store.SetLookupHook(func(stage string) {
		if stage == "listing" {
			listings++
		}
		if listings > 1 {
			return
		}
		switch stage {
		case "listing": // w000 lost: attempt 2 queued
			move(func(txn *store.Txn) error {
				txn.Delete(lay.Assignment("w000", task.ID, 1), -1)
				task.Attempt = 2
				return txn.Enqueue(task.Clone())
			})
		case "listed": // and placed on w001
			place("w001")
		}
	})()
	got, loc, err := st.LookupTask(task.ID)
	if err != nil || got.Worker != "w001" || got.Attempt != 2 || loc.Path != lay.Assignment("w001", task.ID, 2) {
		t.Fatalf("lookup of a task that moved around the listing: %+v at %s, %v", got, loc.Path, err)
	}
	if listings != 2 {
		t.Fatalf("%d listings; want 2", listings)
	}
	if ok, _, err := st.Exists(qb); err != nil || ok == tidied {
		t.Fatalf("queue bucket there: %v (%v); want %v", ok, err, !tidied)
	}
}

// A wait for a task that is nowhere lists the workers' assignments twice,
// not three times, before it fails: the task's buckets, read before the
// second listing and again after the buckets were listed once more, show
// that it did not move.
func TestWaitForUnknownTaskListsWorkersTwice(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	const workers = 500
	addWorkerDirs(t, st, workers)
	listings := 0
	defer store.SetCheckKnownHook(func(stage string) {
		if stage == "listing" {
			listings++
		}
	})()
	px := drovertest.StartProxy(t, drovertest.Addr())
	via := drovertest.OpenStoreAt(t, px.Addr(), root)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	id := ulid.MustNew(ulid.Timestamp(time.Now().Add(-30*24*time.Hour)), nil).String()
	before := px.Requests()
	err := via.WaitResults(ctx, []string{id}, func(*store.Task) { t.Error("a result of an unknown task") })
	n := px.Requests() - before
	if !errors.Is(err, store.ErrUnknownTask) || listings != 2 {
		t.Fatalf("wait for an unknown task: %v after %d listings; want ErrUnknownTask after 2", err, listings)
	}
	if most := int64(2*(1+workers) + 40); n > most {
		t.Fatalf("%d requests with %d workers; want at most %d", n, workers, most)
	}
	t.Logf("%d requests with %d workers", n, workers)
}

// A task that a wait misses in every place twice over, as it moves around
// each listing of the assignments, is listed a third time, as its queue
// bucket changed, and found: the wait goes on, and ends with its result.
func TestWaitFindsATaskMovingAroundTheListings(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	lay := st.Layout()
	addWorkerDirs(t, st, 4)
	now := time.Now()
	task := &store.Task{ID: store.NewTaskID(now), Cmd: []string{"true"}, SubmittedAt: now.UTC(), Attempt: 1, State: store.StateQueued}
	if _, err := st.Submit(context.Background(), []*store.Task{task}); err != nil {
		t.Fatal(err)
	}
	move := func(build func(*store.Txn) error) {
		if err := st.CommitCreatingBuckets([]string{task.ID}, build); err != nil {
			t.Error(err)
		}
	}
	place := func(worker string) {
		task.Worker = worker
		move(func(txn *store.Txn) error {
			txn.Delete(lay.QueueItem(task.ID), -1)
			return txn.Assign(task.Clone())
		})
	}
	place("w000")
	listings := 0
	defer store.SetCheckKnownHook(func(stage string) {
		if stage == "listing" {
			listings++
		}
		switch {
		case stage == "listing" && listings <= 2: // its worker lost: queued again
			move(func(txn *store.Txn) error {
				txn.Delete(lay.Assignment(task.Worker, task.ID, task.Attempt), -1)
				task.Attempt++
				return txn.Enqueue(task.Clone())
			})
		case stage == "listed" && listings <= 2: // and placed elsewhere
			place(fmt.Sprintf("w%03d", listings))
		case stage == "listed": // found at last: it finishes
			move(func(txn *store.Txn) error {
				txn.Delete(lay.Assignment(task.Worker, task.ID, task.Attempt), -1)
				done := task.Clone()
				done.State, done.FinishedAt = store.StateSucceeded, time.Now().UTC()
				return txn.Finish(done)
			})
		}
	})()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var got []*store.Task
	if err := st.WaitResults(ctx, []string{task.ID}, func(t *store.Task) { got = append(got, t) }); err != nil || listings != 3 {
		t.Fatalf("wait for a task moving around the listings: %v after %d listings; want its result after 3", err, listings)
	}
	if len(got) != 1 || got[0].State != store.StateSucceeded || got[0].Attempt != 3 {
		t.Fatalf("wait passed on %+v", got)
	}
}

// TestHiddenTaskErrNamesAFew: a fleet of 500 workers started without the
// read-only identity made one error line naming all 500. It names a few
// and counts the rest.
func TestHiddenTaskErrNamesAFew(t *testing.T) {
	var hidden []string
	for i := range 500 {
		hidden = append(hidden, fmt.Sprintf("w%03d", i))
	}
	msg := store.HiddenTaskErr("T", hidden).Error()
	if !strings.Contains(msg, "w000, w001, w002") || strings.Contains(msg, "w499") || !strings.Contains(msg, "and 495 more") {
		t.Errorf("hidden workers of a large fleet: %s", msg)
	}
	if msg := store.HiddenTaskErr("T", hidden[:2]).Error(); !strings.Contains(msg, "worker(s) w000, w001 are") {
		t.Errorf("two hidden workers: %s", msg)
	}
}
