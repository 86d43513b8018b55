package store_test

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// With the deadletter directory full, malformed data is done away with and
// not copied: the directory stays listable whatever keeps writing bad data.
// What is done away with is counted (drover_deadletter_dropped_total): it
// was only logged.
func TestQuarantineStopsCopyingWhenDeadletterIsFull(t *testing.T) {
	defer store.SetMaxDeadletters(2)()
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	lay := st.Layout()
	bad := errors.New("junk")
	for i, name := range []string{"a", "b", "c"} {
		p := lay.Queue() + "/" + name
		if err := st.Create(p, []byte("junk "+name)); err != nil {
			t.Fatal(err)
		}
		if err := st.Quarantine(p, []byte("junk "+name), 0, bad); err != nil {
			t.Fatalf("quarantine %d: %v", i, err)
		}
		if ok, _, err := st.Exists(p); err != nil || ok {
			t.Fatalf("%s still there (%v)", p, err)
		}
	}
	names, err := st.Children(lay.Deadletter())
	if err != nil || len(names) != 2 {
		t.Fatalf("deadletter %v (%v), want the first two records only", names, err)
	}
	// The third is in no count of deadletter/: it is counted apart.
	if n := st.DeadlettersDropped(); n != 1 {
		t.Fatalf("%d dropped counted, want 1", n)
	}
}

// Znodes under a record (put there by hand: Drover keeps none) are moved
// aside when the record is deleted, by a quarantine or by any transaction.
// ZooKeeper refused those deletes: a malformed record with a znode under it
// could not be moved aside, which deposed the leader that tried, and the
// next, for ever; a queued task with one could not be placed, nor a report
// with one filed. A directory keeps its items: ZooKeeper still refuses that.
func TestZnodesUnderARecordAreMovedAside(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	lay := st.Layout()
	mk := func(p, data string) {
		t.Helper()
		if err := st.EnsurePath(p[:strings.LastIndexByte(p, '/')]); err != nil {
			t.Fatal(err)
		}
		if err := st.Create(p, []byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	bad := ulid.Make().String()
	item := lay.QueueItem(bad)
	mk(item, "junk")
	mk(item+"/under", "u")
	mk(item+"/under/deeper", "d")
	if err := st.Quarantine(item, []byte("junk"), 0, store.ErrMalformed); err != nil {
		t.Fatalf("quarantine of a record with znodes under it: %v", err)
	}
	id := ulid.Make().String()
	res := lay.Result(id)
	mk(res, "result")
	mk(res+"/under", "u")
	if err := st.Txn().Delete(res, 0).Commit(); err != nil {
		t.Fatalf("delete of a record with a znode under it: %v", err)
	}
	for _, p := range []string{item, res} {
		if ok, _, err := st.Exists(p); err != nil || ok {
			t.Fatalf("%s still there (%v)", p, err)
		}
	}
	from := deadlettersByOrigin(t, st)
	want := map[string]string{item: "junk", item + "/under": "u", item + "/under/deeper": "d", res + "/under": "u"}
	if !reflect.DeepEqual(from, want) {
		t.Fatalf("deadletter holds %v, want %v", from, want)
	}
	// A bucket is a directory: deleting one with an item fails as before.
	b1, b2 := store.Bucket(id)
	mk(lay.QueueItem(id), "item")
	if err := st.Txn().Delete(lay.QueueBucket(b1, b2), -1).Commit(); !errors.Is(err, store.ErrNotEmpty) {
		t.Fatalf("delete of a bucket with an item: %v, want ErrNotEmpty", err)
	}
	if ok, _, err := st.Exists(lay.QueueItem(id)); err != nil || !ok {
		t.Fatalf("the bucket's item is gone (%v)", err)
	}
}

// Data too large for a deadletter record whole (its base64 takes 4/3 of it)
// keeps as much of its head as fits; all of it was dropped.
func TestDeadletterKeepsTheHeadOfDataTooLarge(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	lay := st.Layout()
	data := make([]byte, 1_000_000)
	for i := range data {
		data[i] = byte(i % 251)
	}
	p := lay.Queue() + "/huge"
	if err := st.Create(p, data); err != nil {
		t.Fatal(err)
	}
	if err := st.Quarantine(p, data, 0, store.ErrMalformed); err != nil {
		t.Fatal(err)
	}
	names, err := st.Children(lay.Deadletter())
	if err != nil || len(names) != 1 {
		t.Fatalf("deadletter %v (%v)", names, err)
	}
	rec, _, err := st.Get(lay.Deadletter() + "/" + names[0])
	if err != nil {
		t.Fatal(err)
	}
	var dl store.Deadletter
	if err := store.Decode(rec, &dl); err != nil {
		t.Fatal(err)
	}
	if len(dl.Data) < 700_000 || !bytes.HasPrefix(data, dl.Data) || !strings.Contains(dl.Reason, fmt.Sprintf("first %d of 1000000 bytes", len(dl.Data))) {
		t.Fatalf("kept %d bytes (a head: %v), reason %q", len(dl.Data), bytes.HasPrefix(data, dl.Data), dl.Reason)
	}
}

// A deadletter directory deleted by hand is made again by the next
// quarantine: its records' create failed with ErrNoNode, which callers take
// for the data being gone already, so malformed data stayed where it was.
// Data that is gone indeed still fails with ErrNoNode.
func TestQuarantineRemakesAMissingDeadletterDirectory(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	lay := st.Layout()
	p := lay.Queue() + "/junk"
	if err := st.Create(p, []byte("junk")); err != nil {
		t.Fatal(err)
	}
	if err := st.Delete(lay.Deadletter(), -1); err != nil {
		t.Fatal(err)
	}
	if err := st.Quarantine(p, []byte("junk"), 0, store.ErrMalformed); err != nil {
		t.Fatalf("quarantine with the deadletter directory missing: %v", err)
	}
	if ok, _, err := st.Exists(p); err != nil || ok {
		t.Fatalf("%s still there (%v)", p, err)
	}
	if names, err := st.Children(lay.Deadletter()); err != nil || len(names) != 1 {
		t.Fatalf("deadletter %v (%v), want one record", names, err)
	}

	if err := st.Delete(lay.Deadletter()+"/"+mustOnly(t, st, lay.Deadletter()), -1); err != nil {
		t.Fatal(err)
	}
	if err := st.Delete(lay.Deadletter(), -1); err != nil {
		t.Fatal(err)
	}
	if err := st.Quarantine(p, []byte("junk"), 0, store.ErrMalformed); !errors.Is(err, store.ErrNoNode) || store.FailedOp(err) == 0 {
		t.Fatalf("quarantine of data gone: %v (failed op %d), want ErrNoNode on the data's delete", err, store.FailedOp(err))
	}
	if names, err := st.Children(lay.Deadletter()); err != nil || len(names) != 0 {
		t.Fatalf("deadletter %v (%v), want no record", names, err)
	}

	// A new leader's epoch bump moves an unreadable epoch aside in its own
	// transaction: with the directory missing it failed, for every leader.
	if err := st.Delete(lay.Deadletter(), -1); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Set(lay.Epoch(), []byte("junk"), -1); errors.Is(err, store.ErrNoNode) {
		err = st.Create(lay.Epoch(), []byte("junk"))
		if err != nil {
			t.Fatal(err)
		}
	} else if err != nil {
		t.Fatal(err)
	}
	if _, err := st.BumpEpoch(lay.Root, "me", time.Now()); err != nil {
		t.Fatalf("epoch bump with the deadletter directory missing: %v", err)
	}
	if names, err := st.Children(lay.Deadletter()); err != nil || len(names) != 1 {
		t.Fatalf("deadletter %v (%v), want the epoch's record", names, err)
	}
}

// mustOnly returns the name of dir's only child.
func mustOnly(t *testing.T, st *store.Store, dir string) string {
	t.Helper()
	names, err := st.Children(dir)
	if err != nil || len(names) != 1 {
		t.Fatalf("%s holds %v (%v), want one", dir, names, err)
	}
	return names[0]
}

// deadlettersByOrigin reads every deadletter record: the data moved aside,
// by the path it was found at.
func deadlettersByOrigin(t *testing.T, st *store.Store) map[string]string {
	t.Helper()
	dir := st.Layout().Deadletter()
	names, err := st.Children(dir)
	if err != nil {
		t.Fatal(err)
	}
	from := map[string]string{}
	for _, n := range names {
		data, _, err := st.Get(dir + "/" + n)
		if err != nil {
			t.Fatal(err)
		}
		var dl store.Deadletter
		if err := store.Decode(data, &dl); err != nil {
			t.Fatal(err)
		}
		from[dl.From] = string(dl.Data)
	}
	return from
}
