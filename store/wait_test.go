package store_test

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// recheckEvery is the lowered interval at which the waits of these tests
// look for their tasks again.
const recheckEvery = 100 * time.Millisecond

// waits are the two ways to wait: for one task (WaitResultIn, as
// client.Wait does) and for many (WaitResults, as client.WaitAll does);
// each returns the results it got, by id.
var waits = map[string]func(ctx context.Context, st *store.Store, ids []string) (map[string]*store.Task, error){
	"one": func(ctx context.Context, st *store.Store, ids []string) (map[string]*store.Task, error) {
		var placed store.Placed
		t, err := st.WaitResultIn(ctx, ids[0], &placed)
		if err != nil {
			return nil, err
		}
		return map[string]*store.Task{t.ID: t}, nil
	},
	"many": func(ctx context.Context, st *store.Store, ids []string) (map[string]*store.Task, error) {
		got := map[string]*store.Task{}
		err := st.WaitResults(ctx, ids, func(t *store.Task) { got[t.ID] = t })
		return got, err
	},
}

// submitQueued submits n tasks, left queued: no scheduler runs.
func submitQueued(t *testing.T, st *store.Store, n int) []*store.Task {
	t.Helper()
	now := time.Now()
	var tasks []*store.Task
	for range n {
		tasks = append(tasks, &store.Task{ID: store.NewTaskID(now), Cmd: []string{"true"}, SubmittedAt: now.UTC(), Attempt: 1, State: store.StateQueued})
	}
	if _, err := st.Submit(context.Background(), tasks); err != nil {
		t.Fatal(err)
	}
	return tasks
}

// finish posts the result of a queued or placed task, as a worker's report
// does.
func finish(t *testing.T, st *store.Store, task *store.Task) {
	t.Helper()
	lay := st.Layout()
	if err := st.CommitCreatingBuckets([]string{task.ID}, func(txn *store.Txn) error {
		if task.Worker != "" {
			txn.Delete(lay.Assignment(task.Worker, task.ID, task.Attempt), -1)
		} else {
			txn.Delete(lay.QueueItem(task.ID), -1)
		}
		done := task.Clone()
		done.State, done.FinishedAt = store.StateSucceeded, time.Now().UTC()
		return txn.Finish(done)
	}); err != nil {
		t.Fatal(err)
	}
}

type waited struct {
	got map[string]*store.Task
	err error
}

// A wait for a task whose queue item is deleted while it waits (as a
// leader moves one that does not decode to deadletter, or as an operator
// deletes it) fails for that task when it looks again, saying so, instead
// of waiting for ever.
func TestWaitFailsForATaskThatVanished(t *testing.T) {
	for name, wait := range waits {
		t.Run(name, func(t *testing.T) {
			st := drovertest.OpenStore(t, drovertest.NewRoot())
			tasks := submitQueued(t, st, 2)
			ids := []string{tasks[0].ID, tasks[1].ID}
			if name == "one" {
				ids = ids[:1]
			}
			var looks atomic.Int64
			defer store.SetWaitRecheck(recheckEvery, func() { looks.Add(1) })()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			done := make(chan waited, 1)
			go func() {
				got, err := wait(ctx, st, ids)
				done <- waited{got, err}
			}()
			// Once the wait has looked and found it queued, it vanishes.
			drovertest.WaitFor(t, 10*time.Second, "a look that finds the task queued", func() bool { return looks.Load() >= 1 })
			if err := st.Delete(st.Layout().QueueItem(tasks[0].ID), -1); err != nil {
				t.Fatal(err)
			}
			w := <-done
			if !errors.Is(w.err, store.ErrUnknownTask) || len(w.got) != 0 {
				t.Fatalf("wait for a task that vanished: %v, %v; want ErrUnknownTask", w.got, w.err)
			}
			msg := w.err.Error()
			if !strings.HasPrefix(msg, fmt.Sprintf("task %s: %s", tasks[0].ID, store.ErrUnknownTask)) ||
				!strings.Contains(msg, "no longer queued, placed or finished") || !strings.Contains(msg, "drover deadletter ls") {
				t.Fatalf("error %q; want it to name %s, say it is no longer queued, placed or finished, and point at drover deadletter ls", msg, tasks[0].ID)
			}
		})
	}
}

// A single-task wait whose exists saw the result, and whose read then
// missed it (pruned meanwhile), looks again as it would have had the
// exists missed it: it finds the task nowhere and fails with
// ErrUnknownTask. It returned the read's "node does not exist". (Found by
// review.)
func TestWaitForAResultPrunedBetweenItsExistsAndItsRead(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	task := submitQueued(t, st, 1)[0]
	finish(t, st, task)
	defer store.SetWaitRecheck(recheckEvery, nil)()
	var pruned atomic.Bool
	defer store.SetResultSeenHook(func() {
		if !pruned.Swap(true) {
			if err := st.Delete(st.Layout().Result(task.ID), -1); err != nil {
				t.Error(err)
			}
		}
	})()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var placed store.Placed
	got, err := st.WaitResultIn(ctx, task.ID, &placed)
	if !pruned.Load() || !errors.Is(err, store.ErrUnknownTask) || !strings.Contains(err.Error(), "no longer queued, placed or finished") {
		t.Fatalf("wait for a result pruned as it was read: %+v, %v; want ErrUnknownTask, no longer queued, placed or finished", got, err)
	}
}

// A wait for a task that stays queued looks for it again and again and
// goes on waiting; it ends with the task's result.
func TestWaitGoesOnForATaskStillQueued(t *testing.T) {
	for name, wait := range waits {
		t.Run(name, func(t *testing.T) {
			st := drovertest.OpenStore(t, drovertest.NewRoot())
			tasks := submitQueued(t, st, 2)
			ids := []string{tasks[0].ID, tasks[1].ID}
			if name == "one" {
				ids = ids[:1]
			}
			var looks atomic.Int64
			defer store.SetWaitRecheck(recheckEvery, func() { looks.Add(1) })()
			// Bounded by three intervals, it only times out.
			short, cancel := context.WithTimeout(context.Background(), 3*recheckEvery)
			defer cancel()
			if got, err := wait(short, st, ids); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("wait for queued tasks for 3 intervals: %v, %v; want the deadline", got, err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			done := make(chan waited, 1)
			looks.Store(0)
			go func() {
				got, err := wait(ctx, st, ids)
				done <- waited{got, err}
			}()
			drovertest.WaitFor(t, 10*time.Second, "3 looks that find the tasks queued", func() bool { return looks.Load() >= 3 })
			select {
			case w := <-done:
				t.Fatalf("wait for queued tasks ended: %v, %v", w.got, w.err)
			default:
			}
			for _, task := range tasks {
				finish(t, st, task)
			}
			w := <-done
			if w.err != nil || len(w.got) != len(ids) {
				t.Fatalf("wait for tasks that finished: %v, %v; want their results", w.got, w.err)
			}
			for _, id := range ids {
				if w.got[id] == nil || w.got[id].State != store.StateSucceeded {
					t.Fatalf("result of %s: %+v", id, w.got[id])
				}
			}
		})
	}
}

// Looking again for placed tasks costs one listing of the workers'
// assignments per look for all of them together (WaitResults), and none
// for one task whose assignment a Placed remembers (WaitResultIn).
func TestWaitLooksForPlacedTasksWithOneListing(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	lay := st.Layout()
	addWorkerDirs(t, st, 3)
	tasks := submitQueued(t, st, 3)
	var ids []string
	for i, task := range tasks {
		task.Worker = fmt.Sprintf("w%03d", i)
		if err := st.CommitCreatingBuckets([]string{task.ID}, func(txn *store.Txn) error {
			txn.Delete(lay.QueueItem(task.ID), -1)
			return txn.Assign(task.Clone())
		}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, task.ID)
	}
	var listings, looks atomic.Int64
	var bad atomic.Value
	count := func(stage string) {
		if stage == "listing" {
			listings.Add(1)
		}
	}
	defer store.SetCheckKnownHook(count)()
	defer store.SetLookupHook(count)()
	for name, wait := range waits {
		want := func(looks int64) int64 { return 1 + looks } // the start's and one a look
		if name == "one" {
			want = func(int64) int64 { return 1 } // the first look's; then placed knows
		}
		listings.Store(0)
		looks.Store(0)
		restore := store.SetWaitRecheck(recheckEvery, func() {
			n := looks.Add(1)
			if got := listings.Load(); got != want(n) {
				bad.Store(fmt.Sprintf("%s: %d listings after %d looks; want %d", name, got, n, want(n)))
			}
		})
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		done := make(chan waited, 1)
		go func() {
			got, err := wait(ctx, st, ids)
			done <- waited{got, err}
		}()
		drovertest.WaitFor(t, 10*time.Second, "3 looks", func() bool { return looks.Load() >= 3 })
		cancel()
		w := <-done
		restore()
		if !errors.Is(w.err, context.Canceled) {
			t.Fatalf("%s: wait for placed tasks: %v, %v; want it to go on until cancelled", name, w.got, w.err)
		}
		if msg := bad.Load(); msg != nil {
			t.Fatal(msg)
		}
	}
}

// A wait for many whose results keep coming makes no look for the tasks
// it still waits for: it looks only after waitRecheck without a result
// (each look checks every pending task's queue bucket and lists every
// worker's assignments, once a minute for as long as results trickled in
// to a wait -f of 100,000 tasks).
func TestWaitManyLooksOnlyWithoutResults(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	tasks := submitQueued(t, st, 50)
	var ids []string
	for _, task := range tasks {
		ids = append(ids, task.ID)
	}
	const every, gap = 2500 * time.Millisecond, 100 * time.Millisecond // a stall of over 2 s between results fails it
	var looks atomic.Int64
	defer store.SetWaitRecheck(every, func() { looks.Add(1) })()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var got atomic.Int64
	done := make(chan error, 1)
	go func() { done <- st.WaitResults(ctx, ids, func(*store.Task) { got.Add(1) }) }()
	// One result every gap, for twice the interval and more.
	for _, task := range tasks {
		time.Sleep(gap) // the pace of the results, not a synchronisation
		finish(t, st, task)
	}
	if err := <-done; err != nil || got.Load() != int64(len(ids)) {
		t.Fatalf("wait: %d of %d results, %v", got.Load(), len(ids), err)
	}
	if n := looks.Load(); n != 0 {
		t.Fatalf("%d looks while a result came every %v; want none (interval %v)", n, gap, every)
	}
}

// A wait outlives its session's expiry, as it outlives a lost connection:
// the store's next session sets its watches again, and the result that
// comes after is the wait's. It failed with the expiry.
func TestWaitOutlivesSessionExpiry(t *testing.T) {
	for name, wait := range waits {
		t.Run(name, func(t *testing.T) {
			root := drovertest.NewRoot()
			direct := drovertest.OpenStore(t, root)
			px := drovertest.StartProxy(t, drovertest.Addr())
			via := drovertest.OpenStoreAt(t, px.Addr(), root)
			tasks := submitQueued(t, direct, 1)
			// An ephemeral znode of the cut-off session says when it ended.
			mark := root + "/expiry-mark"
			if _, _, err := via.CreateEphemeral(context.Background(), mark, nil); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			done := make(chan waited, 1)
			go func() {
				got, err := wait(ctx, via, []string{tasks[0].ID})
				done <- waited{got, err}
			}()
			px.Cut(true)
			drovertest.WaitFor(t, 15*time.Second, "the cut-off session expired", func() bool {
				ok, _, err := direct.Exists(mark)
				return err == nil && !ok
			})
			px.Cut(false)
			finish(t, direct, tasks[0])
			w := <-done
			if w.err != nil || w.got[tasks[0].ID] == nil {
				t.Fatalf("wait across a session's expiry: %v, %v; want the result", w.got, w.err)
			}
		})
	}
}

// A wait for many outlives a connection lost while it reads a result or
// looks for its tasks, as it outlives one lost while it waits: it failed
// with the lost connection.
func TestWaitManyOutlivesALostConnection(t *testing.T) {
	for what, lose := range map[string]func(lay store.Layout, id string) string{
		"reading a result":   func(lay store.Layout, id string) string { return lay.Result(id) },
		"looking for a task": func(lay store.Layout, id string) string { return path.Dir(lay.QueueItem(id)) },
	} {
		t.Run(what, func(t *testing.T) {
			root := drovertest.NewRoot()
			direct := drovertest.OpenStore(t, root)
			px := drovertest.StartProxy(t, drovertest.Addr())
			via := drovertest.OpenStoreAt(t, px.Addr(), root)
			tasks := submitQueued(t, direct, 1)
			if what == "reading a result" {
				finish(t, direct, tasks[0])
			}
			px.DropRepliesAfter([]byte(lose(direct.Layout(), tasks[0].ID)))
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			done := make(chan waited, 1)
			go func() {
				got, err := waits["many"](ctx, via, []string{tasks[0].ID})
				done <- waited{got, err}
			}()
			drovertest.WaitFor(t, 10*time.Second, "the request's reply dropped", px.Dropping)
			px.Cut(true)
			px.Cut(false)
			if what == "looking for a task" {
				finish(t, direct, tasks[0])
			}
			w := <-done
			if w.err != nil || w.got[tasks[0].ID] == nil {
				t.Fatalf("wait across a lost connection: %v, %v; want the result", w.got, w.err)
			}
		})
	}
}

// A wait for tasks of several result buckets, whose connection is lost
// while it reads a result, keeps one watch a bucket: listing again the
// buckets it had watched before the loss set a second watch on each, and
// each result after cost two listings of its bucket.
func TestWaitManyKeepsOneWatchABucketThroughALostConnection(t *testing.T) {
	defer store.SetWaitBuckets(1)()
	root := drovertest.NewRoot()
	direct := drovertest.OpenStore(t, root)
	px := drovertest.StartProxy(t, drovertest.Addr())
	via := drovertest.OpenStoreAt(t, px.Addr(), root)
	now := time.Now()
	// Two result buckets, listed oldest first (NewTaskID makes no id older
	// than one it made before).
	var tasks []*store.Task
	for _, id := range []string{store.IDAt(now.Add(-time.Hour)), store.NewTaskID(now)} {
		tasks = append(tasks, &store.Task{ID: id, Cmd: []string{"true"}, SubmittedAt: now.UTC(), Attempt: 1, State: store.StateQueued})
	}
	if _, err := direct.Submit(context.Background(), tasks); err != nil {
		t.Fatal(err)
	}
	// The second task's result is there; reading it loses the connection,
	// once the first bucket is listed and watched.
	finish(t, direct, tasks[1])
	px.DropRepliesAfter([]byte(direct.Layout().Result(tasks[1].ID)))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	watches := make(chan int64, 2) // how many when each result came
	done, ended := make(chan error, 1), make(chan struct{})
	go func() {
		defer close(ended)
		done <- via.WaitResults(ctx, []string{tasks[0].ID, tasks[1].ID}, func(*store.Task) { watches <- store.WaitWatches(via) })
	}()
	defer func() { cancel(); <-ended }() // before waitBuckets is restored
	drovertest.WaitFor(t, 10*time.Second, "the result's read dropped", px.Dropping)
	px.Cut(true)
	px.Cut(false)
	select {
	case n := <-watches:
		if n != 1 {
			t.Fatalf("%d bucket watches once the wait read again after a lost connection; want 1, the other bucket's", n)
		}
	case err := <-done:
		t.Fatalf("wait ended before the second result: %v", err)
	}
	finish(t, direct, tasks[0])
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := store.WaitWatches(via); n != 0 {
		t.Fatalf("%d bucket watches once the wait returned; want none", n)
	}
}
