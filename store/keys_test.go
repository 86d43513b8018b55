package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// A key with no key index entry (one made before the key index, or whose
// entry was moved aside) stands while its task is kept, queued or
// finished, and is dropped once the task is gone, so that its key submits
// a task again.
func TestKeyWithoutEntryStandsWhileItsTaskIsKept(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	lay := st.Layout()
	submit := func() store.SubmitResult {
		t.Helper()
		task := &store.Task{ID: ulid.Make().String(), Cmd: []string{"true"}, Key: "k", SubmittedAt: time.Now().UTC()}
		res, err := st.Submit(context.Background(), []*store.Task{task})
		if err != nil {
			t.Fatal(err)
		}
		return res[0]
	}
	first := submit()
	if err := st.Delete(lay.KeyIndexItem(first.ID), -1); err != nil {
		t.Fatal(err)
	}
	if got := submit(); !got.Existing || got.ID != first.ID {
		t.Fatalf("submit with the key of a queued task: %+v, want %s", got, first.ID)
	}
	task, _, err := st.LookupTask(first.ID)
	if err != nil {
		t.Fatal(err)
	}
	done := task.Clone()
	done.State, done.FinishedAt = store.StateCancelled, time.Now().UTC()
	if err := st.CommitCreatingBuckets([]string{first.ID}, func(txn *store.Txn) error {
		txn.Delete(lay.QueueItem(first.ID), -1)
		return txn.Finish(done)
	}); err != nil {
		t.Fatal(err)
	}
	if got := submit(); !got.Existing || got.ID != first.ID {
		t.Fatalf("submit with the key of a finished task: %+v, want %s", got, first.ID)
	}
	if err := st.Delete(lay.Result(first.ID), -1); err != nil {
		t.Fatal(err)
	}
	second := submit()
	if second.Existing || second.ID == first.ID {
		t.Fatalf("submit with the key of a task gone: %+v, want a new task", second)
	}
	if got := submit(); !got.Existing || got.ID != second.ID {
		t.Fatalf("submit with the key again: %+v, want %s", got, second.ID)
	}
}

// orphanKey submits a task with key and deletes its key index entry and
// its queue item: the key is left naming a task no longer kept.
func orphanKey(t *testing.T, st *store.Store, key string) string {
	t.Helper()
	lay := st.Layout()
	task := &store.Task{ID: ulid.Make().String(), Cmd: []string{"true"}, Key: key, SubmittedAt: time.Now().UTC()}
	if _, err := st.Submit(context.Background(), []*store.Task{task}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{lay.KeyIndexItem(task.ID), lay.QueueItem(task.ID)} {
		if err := st.Delete(p, -1); err != nil {
			t.Fatal(err)
		}
	}
	return task.ID
}

func submitKeyed(t *testing.T, st *store.Store, key string) store.SubmitResult {
	t.Helper()
	task := &store.Task{ID: ulid.Make().String(), Cmd: []string{"true"}, Key: key, SubmittedAt: time.Now().UTC()}
	res, err := st.Submit(context.Background(), []*store.Task{task})
	if err != nil {
		t.Fatal(err)
	}
	return res[0]
}

// Of two submits that find one key naming a task gone, one takes it: the
// one that writes second finds the first's task. (The key was deleted at
// the version read and made anew, at the same version: the second's delete
// took the first's key, and both tasks were written with it.)
func TestSubmitsTakeAnOrphanedKeyOnce(t *testing.T) {
	root := drovertest.NewRoot()
	a, b := drovertest.OpenStore(t, root), drovertest.OpenStore(t, root)
	orphanKey(t, a, "k")
	var first store.SubmitResult
	store.SetKeysRead(a, func() {
		store.SetKeysRead(a, nil)
		first = submitKeyed(t, b, "k") // between a's read and its write
		if first.Existing {
			t.Errorf("the first submit after the key's task went: %+v, want a new task", first)
		}
	})
	if got := submitKeyed(t, a, "k"); !got.Existing || got.ID != first.ID {
		t.Fatalf("the second submit: %+v, want %s", got, first.ID)
	}
	if got := submitKeyed(t, b, "k"); !got.Existing || got.ID != first.ID {
		t.Fatalf("submit again: %+v, want %s", got, first.ID)
	}
}

// A key that came back to the version a submit read it at, taken over by
// another submit, pruned with that one's task and made anew by a third, is
// not taken: the take-over moved the shard's version on. Whether all that
// comes between the reads of the key and of the rest or after them both:
// the shard is read before the key (read after it, the shard was at the
// version the take-over left it at, and the submit took the third's key:
// two tasks with it).
func TestSubmitDoesNotTakeAKeyMadeAgain(t *testing.T) {
	for what, setHook := range map[string]func(*store.Store, func()){
		"after its reads":                store.SetKeysRead,
		"between the key's and the rest": store.SetKeyRecordsRead,
	} {
		t.Run(what, func(t *testing.T) {
			root := drovertest.NewRoot()
			a, b := drovertest.OpenStore(t, root), drovertest.OpenStore(t, root)
			lay := a.Layout()
			orphanKey(t, a, "k")
			var third store.SubmitResult
			setHook(a, func() {
				setHook(a, nil)
				second := submitKeyed(t, b, "k")
				// Retention prunes the second task with its key and entry.
				for _, p := range []string{lay.Key(store.KeyHash("k")), lay.KeyIndexItem(second.ID), lay.QueueItem(second.ID)} {
					if err := b.Delete(p, -1); err != nil {
						t.Error(err)
					}
				}
				third = submitKeyed(t, b, "k")
				if third.Existing {
					t.Errorf("submit after the key went: %+v, want a new task", third)
				}
			})
			if got := submitKeyed(t, a, "k"); !got.Existing || got.ID != third.ID {
				t.Fatalf("the submit that read the key first: %+v, want %s", got, third.ID)
			}
		})
	}
}

// A key record that does not decode is moved aside by the submit that
// finds it, which makes the key anew (it refused every submit with it).
func TestSubmitMovesAMalformedKeyAside(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	lay := st.Layout()
	first := submitKeyed(t, st, "k")
	for _, garbage := range [][]byte{[]byte("{not json"), []byte(`{"v":1,"task":"not-an-id"}`)} {
		if _, err := st.Set(lay.Key(store.KeyHash("k")), garbage, -1); err != nil {
			t.Fatal(err)
		}
		got := submitKeyed(t, st, "k")
		if got.Existing || got.ID == first.ID {
			t.Fatalf("submit with a malformed key %q: %+v, want a new task", garbage, got)
		}
		if again := submitKeyed(t, st, "k"); !again.Existing || again.ID != got.ID {
			t.Fatalf("submit again: %+v, want %s", again, got.ID)
		}
	}
	dl, err := st.Children(lay.Deadletter())
	if err != nil || len(dl) != 2 {
		t.Fatalf("deadletter: %v %v, want the two key records", dl, err)
	}
}

// Two keys of one shard, each naming a task gone, taken over by one submit:
// the shard is set once in its multi (set twice at the version read, the
// second set failed, and the submit read the keys again and sent the same
// multi, for ever).
func TestSubmitTakesOverTwoKeysOfOneShard(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	var keys []string
	seen := map[string]string{}
	for n := 0; keys == nil; n++ {
		k := fmt.Sprintf("k%d", n)
		h := store.KeyHash(k)[:2]
		if other, ok := seen[h]; ok {
			keys = []string{other, k}
		}
		seen[h] = k
	}
	tasks := make([]*store.Task, len(keys))
	for i, k := range keys {
		orphanKey(t, st, k)
		tasks[i] = &store.Task{ID: ulid.Make().String(), Cmd: []string{"true"}, Key: k, SubmittedAt: time.Now().UTC()}
	}
	type submitted struct {
		res []store.SubmitResult
		err error
	}
	done := make(chan submitted, 1)
	go func() {
		res, err := st.Submit(context.Background(), tasks)
		done <- submitted{res, err}
	}()
	var got submitted
	select {
	case got = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("submit of two keys of one shard to take over did not return")
	}
	if got.err != nil {
		t.Fatal(got.err)
	}
	for i, r := range got.res {
		if r.Existing || r.ID != tasks[i].ID {
			t.Fatalf("task %d: %+v, want %s written", i, r, tasks[i].ID)
		}
		if again := submitKeyed(t, st, keys[i]); !again.Existing || again.ID != tasks[i].ID {
			t.Fatalf("submit with key %s again: %+v, want %s", keys[i], again, tasks[i].ID)
		}
	}
}

// Of two submits that find one malformed key record, one moves it aside
// and makes the key anew; the other finds that one's task (it moved the
// new key aside with a delete at the version read, the same, and both
// tasks were written with the key).
func TestSubmitsMoveAMalformedKeyAsideOnce(t *testing.T) {
	root := drovertest.NewRoot()
	a, b := drovertest.OpenStore(t, root), drovertest.OpenStore(t, root)
	lay := a.Layout()
	submitKeyed(t, a, "k")
	key := lay.Key(store.KeyHash("k"))
	// At version 0, where a key made anew is.
	if err := a.Delete(key, -1); err != nil {
		t.Fatal(err)
	}
	if err := a.Create(key, []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	var first store.SubmitResult
	store.SetKeyRecordsRead(a, func() {
		store.SetKeyRecordsRead(a, nil)
		first = submitKeyed(t, b, "k")
		if first.Existing {
			t.Errorf("the first submit after the key was malformed: %+v, want a new task", first)
		}
	})
	if got := submitKeyed(t, a, "k"); !got.Existing || got.ID != first.ID {
		t.Fatalf("the second submit: %+v, want %s", got, first.ID)
	}
	if got := submitKeyed(t, b, "k"); !got.Existing || got.ID != first.ID {
		t.Fatalf("submit again: %+v, want %s", got, first.ID)
	}
}

// MoveKeyAside (retention's way with an unreadable key) moves a key record
// that does not decode, moving its shard's version on as a submit's
// move-aside does, and leaves a readable one.
func TestMoveKeyAside(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	lay := st.Layout()
	first := submitKeyed(t, st, "k")
	key, shard := lay.Key(store.KeyHash("k")), lay.KeyShard(store.KeyHash("k"))
	if err := st.MoveKeyAside(key); err != nil {
		t.Fatal(err)
	}
	if again := submitKeyed(t, st, "k"); !again.Existing || again.ID != first.ID {
		t.Fatalf("a readable key was moved: submit again gave %+v", again)
	}
	if _, err := st.Set(key, []byte("junk"), -1); err != nil {
		t.Fatal(err)
	}
	_, before, err := st.Get(shard)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.MoveKeyAside(key); err != nil {
		t.Fatal(err)
	}
	_, after, err := st.Get(shard)
	if err != nil || after.Version != before.Version+1 {
		t.Fatalf("shard at version %d (%v), want %d", after.Version, err, before.Version+1)
	}
	if dl, err := st.Children(lay.Deadletter()); err != nil || len(dl) != 1 {
		t.Fatalf("deadletter: %v %v, want the key record", dl, err)
	}
	if err := st.MoveKeyAside(key); err != nil { // gone now
		t.Fatal(err)
	}
}
