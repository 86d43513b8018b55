package scheduler

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// TestRetentionCountsAResultMovedAside: a result moved to deadletter (it
// does not decode: drover status, wait, the web API or the leader's look at
// a schedule's runs move it with store.Quarantine) under a settled
// first-level bucket leaves the count the leader keeps too high, as a retry
// did (TestRetentionCountsARetry): Quarantine writes nothing to the
// first-level bucket, so its pzxid and mzxid stand, and --max-results at the
// true count prunes a result it should keep. (Found by review.)
func TestRetentionCountsAResultMovedAside(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	now := time.Now()
	var ids []string
	for h := 8; h >= 3; h-- { // six results, one per first-level bucket
		at := now.Add(-time.Duration(h) * time.Hour)
		ids = append(ids, finished(t, st, at, at, store.StateSucceeded))
	}
	s, err := New(Config{ID: "s1", Store: st, Log: drovertest.Logger(t), ResultRetention: 24 * time.Hour, MaxResults: 100})
	if err != nil {
		t.Fatal(err)
	}
	l := newLeader(s, &Term{Fence: st.Layout().Root}, 1)
	defer l.stop()
	if err := l.pruneResults(); err != nil { // reads and keeps the counts
		t.Fatal(err)
	}
	// The newest result turns out not to decode, and is moved aside.
	bad := st.Layout().Result(ids[5])
	stat, err := st.Set(bad, []byte("junk"), -1)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Quarantine(bad, []byte("junk"), stat.Version, fmt.Errorf("%w: junk", store.ErrMalformed)); err != nil {
		t.Fatal(err)
	}
	s.cfg.MaxResults = 5 // five remain
	if err := l.pruneResults(); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids[:5] {
		if _, _, err := st.Get(st.Layout().Result(id)); err != nil {
			t.Errorf("result %s of 5 left with --max-results 5: %v", id, err)
		}
	}
}

// TestKeyOfATaskMovedAsideGoesWithRetention: a keyed task whose record is
// moved to deadletter before it finishes (a queue item that does not decode,
// one of a newer format, one too large to place: the leader's addRead and
// place quarantine it) never gets a result, so retention, which drops a key
// with its task's result (emptyBucket, keysOf: entries of tasks with a
// result only), never drops its key or key index entry. Once retention has
// passed over its bucket and pruned even the deadletter record, the task is
// nowhere, yet every submit with its key returns it as the existing task,
// for ever, and the key index bucket stays (its result bucket is deleted
// while it is not empty). (Found by review.)
func TestKeyOfATaskMovedAsideGoesWithRetention(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	lay := st.Layout()
	at := time.Now().Add(-48 * time.Hour)
	keyed := &store.Task{ID: ulid.MustNew(ulid.Timestamp(at), rand.Reader).String(), Cmd: []string{"true"}, Key: "k", SubmittedAt: at}
	other := &store.Task{ID: ulid.MustNew(ulid.Timestamp(at), rand.Reader).String(), Cmd: []string{"true"}, SubmittedAt: at}
	if _, err := st.Submit(context.Background(), []*store.Task{keyed, other}); err != nil {
		t.Fatal(err)
	}
	moveQueueItemAside(t, st, keyed.ID)
	succeed(t, st, other)
	// Two days on, retention (a day) passes over the bucket: the other
	// task's result goes, and the deadletter record too.
	later := time.Now().Add(48 * time.Hour)
	l, _, _ := termOf(t, st, func(c *Config) {
		c.ResultRetention = 24 * time.Hour
		c.Now = func() time.Time { return later }
		c.zookeeperAhead = time.Until(later) // and ZooKeeper's with it
	})
	for range 2 {
		if err := l.pruneResults(); err != nil {
			t.Fatal(err)
		}
	}
	if ok, _, err := st.Exists(lay.Result(other.ID)); err != nil || ok {
		t.Fatalf("the other task's result is still there (%v)", err)
	}
	if kids, err := st.Children(lay.Deadletter()); err != nil || len(kids) != 0 {
		t.Fatalf("deadletter %v (%v), want it pruned", kids, err)
	}
	if _, _, err := st.LookupTask(keyed.ID); !errors.Is(err, store.ErrUnknownTask) {
		t.Fatalf("look up the task moved aside: %v, want it unknown", err)
	}
	again := &store.Task{ID: ulid.Make().String(), Cmd: []string{"true"}, Key: "k", SubmittedAt: time.Now().UTC()}
	res, err := st.Submit(context.Background(), []*store.Task{again})
	if err != nil {
		t.Fatal(err)
	}
	b1, b2 := store.Bucket(keyed.ID)
	_, _, entryErr := st.Get(lay.KeyIndexItem(keyed.ID))
	_, _, bucketErr := st.Get(lay.KeyIndexBucket(b1, b2))
	if res[0].Existing {
		t.Fatalf("submit with the key of a task that is nowhere, retention past: %+v (its key index entry: %v; its key index bucket: %v), want %s written",
			res[0], entryErr, bucketErr, again.ID)
	}
}

// TestLateResultInABucketPrunedByTheCapIsKept: a result that comes days
// after its task was submitted is kept for --result-retention from when it
// came. Its writer marks the bucket (store.FinishEncoded) unless it marked
// that bucket for a result that finished less than store.LateResult before
// (store.lateMarks.recent), trusting the mark to be there. When
// --max-results pruned the bucket meanwhile (a whole bucket goes, oldest
// first, however few results over the cap), the mark went with the bucket:
// the result makes the bucket anew unmarked, and the next pass prunes it by
// age at once, with the cap not reached. (Found by review.)
func TestLateResultInABucketPrunedByTheCapIsKept(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	w := drovertest.OpenStore(t, root) // a worker's store: it writes the late results
	lay := st.Layout()
	now := time.Now()
	old := now.Add(-48 * time.Hour) // one bucket two days old
	finish := func(by *store.Store, submitted, at time.Time) string {
		t.Helper()
		return finished(t, by, submitted, at, store.StateSucceeded)
	}
	// Two late results in the old bucket (marked by the first), one on time
	// an hour ago.
	finish(w, old, now.Add(-30*time.Second))
	finish(w, old, now.Add(-25*time.Second))
	finish(st, now.Add(-time.Hour), now.Add(-time.Hour))
	b1, b2 := store.Bucket(store.IDAt(old))
	if _, stat, err := st.Exists(lay.ResultBucket(b1, b2)); err != nil || stat.DataLength == 0 {
		t.Fatalf("the old bucket is not marked (%v)", err)
	}
	later := now.Add(2 * time.Minute) // past BucketGrace of the buckets made now
	l, _, _ := termOf(t, st, func(c *Config) {
		c.ResultRetention = 24 * time.Hour
		c.MaxResults = 1
		c.Now = func() time.Time { return later }
		c.zookeeperAhead = time.Until(later) // and ZooKeeper's with it
	})
	// Three results, a cap of one: the bucket whose results came first
	// goes, both its results (the cap prunes in the order results came).
	if err := l.pruneResults(); err != nil {
		t.Fatal(err)
	}
	l.s.cfg.MaxResults = 2 // from now on
	if ok, _, err := st.Exists(lay.ResultBucket(b1, b2)); err != nil || ok {
		t.Fatalf("the old bucket is still there (%v): the cap should have pruned it", err)
	}
	// Another late result of the old bucket, from the same worker: two
	// results, at the cap.
	late := finish(w, old, now.Add(-20*time.Second))
	_, stat, err := st.Exists(lay.ResultBucket(b1, b2))
	if err != nil {
		t.Fatal(err)
	}
	if err := l.pruneResults(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.Get(lay.Result(late)); err != nil {
		t.Fatalf("a result that came two minutes ago, with 2 results kept at --max-results 2 and a day's retention: %v (its bucket, made anew by it, was marked: %v)", err, stat.DataLength > 0)
	}
}

// TestRetentionKeepsAResultWhoseKeyEntryItCannotRead: keysOf passes over a
// key index entry whose read fails for any reason but a malformed record
// (retention.go: "case rd.Err != nil:"), and emptyBucket then deletes the
// task's result alone. The entry and the key stay for good: only a result
// leads a pass to them, and a submit with the key finds the entry and takes
// the pruned task for the key's, for ever. Here the read fails for an ACL
// without read, lifted afterwards; a connection lost during the reads and
// regained before the deletes (the session lives on) does the same.
// (Found by review.)
func TestRetentionKeepsAResultWhoseKeyEntryItCannotRead(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	lay := st.Layout()
	at := time.Now().Add(-48 * time.Hour)
	task := &store.Task{ID: ulid.MustNew(ulid.Timestamp(at), rand.Reader).String(), Cmd: []string{"true"}, Key: "k", SubmittedAt: at}
	if _, err := st.Submit(context.Background(), []*store.Task{task}); err != nil {
		t.Fatal(err)
	}
	succeed(t, st, task)
	entry := lay.KeyIndexItem(task.ID)
	setACL(t, entry, "world:anyone:cdwa") // for a moment, unreadable
	l, _, _ := termOf(t, st, func(c *Config) { c.ResultRetention = 24 * time.Hour })
	if err := l.pruneResults(); err != nil {
		t.Logf("pass: %v", err)
	}
	setACL(t, entry, "world:anyone:cdrwa")
	_, _, resultErr := st.Get(lay.Result(task.ID))
	_, _, entryErr := st.Get(entry)
	if errors.Is(resultErr, store.ErrNoNode) && entryErr == nil {
		again := &store.Task{ID: ulid.Make().String(), Cmd: []string{"true"}, Key: "k", SubmittedAt: time.Now().UTC()}
		res, err := st.Submit(context.Background(), []*store.Task{again})
		t.Fatalf("the pass deleted the result and left its key index entry and key; a submit with the key then: %+v %v (the pruned task's id is %s)", res, err, task.ID)
	}
}

// A bucket found old and unmarked is emptied only while it stays unmarked:
// a late result whose mark lands between that read and the listing of the
// bucket is not deleted with the rest. (Found by review.)
func TestEmptyBucketKeepsALateResultMarkedMeanwhile(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	lay := st.Layout()
	at := time.Now().Add(-48 * time.Hour)
	id := finished(t, st, at, at, store.StateSucceeded)
	b1, b2 := store.Bucket(id)
	_, found, err := st.Exists(lay.ResultBucket(b1, b2))
	if err != nil {
		t.Fatal(err)
	}
	// A late result comes, and marks the bucket, after the pass found it old.
	late := finished(t, st, at, time.Now(), store.StateSucceeded)
	l, _, _ := termOf(t, st, func(c *Config) { c.ResultRetention = 24 * time.Hour })
	if n, err := l.emptyBucket(b1, b2, found.Version, -1, false); err != nil || n != 0 {
		t.Fatalf("emptyBucket at the version found old: %d deleted, %v; want none, the bucket marked since", n, err)
	}
	for _, id := range []string{id, late} {
		if ok, _, err := st.Exists(lay.Result(id)); err != nil || !ok {
			t.Fatalf("result %s gone (%v)", id, err)
		}
	}
}

// moveQueueItemAside makes task id's queue item junk and moves it to
// deadletter, as the leader's addRead does with an item that does not
// decode.
func moveQueueItemAside(t *testing.T, st *store.Store, id string) {
	t.Helper()
	item := st.Layout().QueueItem(id)
	stat, err := st.Set(item, []byte("junk"), -1)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Quarantine(item, []byte("junk"), stat.Version, fmt.Errorf("%w: junk", store.ErrMalformed)); err != nil {
		t.Fatal(err)
	}
}

// TestRetentionAgesByZooKeepersClock: a late result is kept for
// --result-retention from when it came (README), and a deadletter record
// for --result-retention from when it was made; both times are ZooKeeper's
// (the bucket's mark's mtime, the record's ctime). pruneResults took its
// cutoff from the leader's own clock, so a leader host whose clock runs
// ahead of ZooKeeper's by more than the retention pruned a result that
// came a moment ago, and a record moved aside a moment ago, at its next
// pass. The cutoff is now the earlier of the two clocks'. (Found by
// review.)
func TestRetentionAgesByZooKeepersClock(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	lay := st.Layout()
	now := time.Now()
	// A result that came now for a task submitted two days ago: its bucket
	// is marked late, by ZooKeeper's clock now.
	late := finished(t, st, now.Add(-48*time.Hour), now, store.StateSucceeded)
	b1, b2 := store.Bucket(late)
	if _, stat, err := st.Exists(lay.ResultBucket(b1, b2)); err != nil || stat.DataLength == 0 {
		t.Fatalf("the late result did not mark its bucket (%v)", err)
	}
	dead := quarantineJunk(t, st, 1)
	// The leader's host runs two hours ahead; retention is an hour.
	ahead := 2 * time.Hour
	l, _, _ := termOf(t, st, func(c *Config) {
		c.ResultRetention = time.Hour
		c.Now = func() time.Time { return time.Now().Add(ahead) }
	})
	if err := l.pruneResults(); err != nil {
		t.Fatal(err)
	}
	if ok, _, err := st.Exists(lay.Result(late)); err != nil || !ok {
		t.Errorf("a result that came a moment ago (by ZooKeeper's clock) was pruned with --result-retention 1h by a leader whose clock is %v ahead (%v)", ahead, err)
	}
	if ok, _, err := st.Exists(lay.Deadletter() + "/" + dead[0]); err != nil || !ok {
		t.Errorf("a deadletter record made a moment ago (by ZooKeeper's clock) was pruned with --result-retention 1h by a leader whose clock is %v ahead (%v)", ahead, err)
	}
}

// TestRetentionGoesOnPastAKeyEntryItCannotRead: an entry the pass cannot
// read keeps its task's result "for the next pass" (keysOf), but keysOf
// returned the error and the whole pass ended there: every newer bucket, and
// deadletter/, goes unpruned. While the entry stays unreadable (here an ACL
// without read, as in TestRetentionKeepsAResultWhoseKeyEntryItCannotRead,
// but left) every pass ends at the same bucket, for good: results pile up
// past --result-retention and --max-results, and deadletter/ grows until its
// writers drop malformed data uncopied (store.MaxDeadletters). A pass now
// passes over what it cannot read. (Found by review.)
func TestRetentionGoesOnPastAKeyEntryItCannotRead(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	lay := st.Layout()
	now := time.Now()
	// An older first-level bucket with a keyed task's result, a newer one
	// with a plain result.
	at := now.Add(-3 * time.Hour)
	keyed := &store.Task{ID: ulid.MustNew(ulid.Timestamp(at), rand.Reader).String(), Cmd: []string{"true"}, Key: "k", SubmittedAt: at}
	if _, err := st.Submit(context.Background(), []*store.Task{keyed}); err != nil {
		t.Fatal(err)
	}
	succeed(t, st, keyed)
	plain := finished(t, st, now.Add(-2*time.Hour), now.Add(-2*time.Hour), store.StateSucceeded)
	dead := quarantineJunk(t, st, 1)
	entry := lay.KeyIndexItem(keyed.ID)
	setACL(t, entry, "world:anyone:cdwa") // unreadable, and stays so
	t.Cleanup(func() { setACL(t, entry, "world:anyone:cdrwa") })
	// Two days on, with a day's retention, everything is old.
	later := now.Add(48 * time.Hour)
	l, _, _ := termOf(t, st, func(c *Config) {
		c.ResultRetention = 24 * time.Hour
		c.Now = func() time.Time { return later }
		c.zookeeperAhead = time.Until(later) // and ZooKeeper's with it
	})
	for pass := range 2 {
		if err := l.pruneResults(); err != nil {
			t.Logf("pass %d: %v", pass, err)
		}
	}
	if ok, _, err := st.Exists(lay.Result(plain)); err != nil || ok {
		t.Errorf("a result two days past a day's retention, in a bucket after the one with the unreadable entry, is still there after two passes (%v)", err)
	}
	if ok, _, err := st.Exists(lay.Deadletter() + "/" + dead[0]); err != nil || ok {
		t.Errorf("a deadletter record two days past a day's retention is still there after two passes (%v)", err)
	}
	if ok, _, err := st.Exists(lay.Result(keyed.ID)); err != nil || !ok {
		t.Errorf("the result whose key entry could not be read was pruned (%v): its entry and key would be left naming a task kept nowhere", err)
	}
}

// A znode in a result bucket whose name is no task id (made by hand) is no
// result: a pass moves it aside, and the bucket goes. emptyBucket deleted it
// with the bucket's results, and what it held was lost, never seen in
// deadletter. (Found by review.)
func TestRetentionMovesAsideJunkInAResultBucket(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	lay := st.Layout()
	at := time.Now().Add(-48 * time.Hour)
	id := finished(t, st, at, at, store.StateSucceeded)
	b1, b2 := store.Bucket(id)
	junk := lay.ResultBucket(b1, b2) + "/junk"
	if err := st.Create(junk, []byte("junk")); err != nil {
		t.Fatal(err)
	}
	twoPassesPastGrace(t, st)
	var left []string
	for _, p := range []string{lay.Result(id), junk, lay.ResultBucket(b1, b2)} {
		if ok, _, err := st.Exists(p); err != nil || ok {
			left = append(left, p)
		}
	}
	if len(left) > 0 || !deadletterFrom(t, st, junk) {
		t.Fatalf("after two passes: left %v; junk in deadletter: %v", left, deadletterFrom(t, st, junk))
	}
}

// A znode in a key index bucket whose name is no task id (made by hand)
// is none of Drover's: moved aside, it leaves the bucket to go with its
// results. keysOf read only the entries of tasks with a result there, so
// it was never read nor moved, the key index bucket was never empty, and
// the result bucket, deleted only once its key index bucket is gone, stayed
// too, both tried again at every pass for good. (Found by review.)
func TestRetentionMovesAsideJunkInAKeyIndexBucket(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	lay := st.Layout()
	at := time.Now().Add(-48 * time.Hour)
	id := finished(t, st, at, at, store.StateSucceeded)
	b1, b2 := store.Bucket(id)
	if err := st.EnsurePath(lay.KeyIndexBucket(b1, b2)); err != nil {
		t.Fatal(err)
	}
	junk := lay.KeyIndexBucket(b1, b2) + "/junk"
	if err := st.Create(junk, []byte("junk")); err != nil {
		t.Fatal(err)
	}
	twoPassesPastGrace(t, st)
	if ok, _, _ := st.Exists(lay.Result(id)); ok {
		t.Fatal("the old result was kept")
	}
	var left []string
	for _, p := range []string{junk, lay.KeyIndexBucket(b1, b2), lay.ResultBucket(b1, b2)} {
		if ok, _, err := st.Exists(p); err != nil || ok {
			left = append(left, p)
		}
	}
	if len(left) > 0 || !deadletterFrom(t, st, junk) {
		t.Fatalf("after two passes: left %v; junk in deadletter: %v", left, deadletterFrom(t, st, junk))
	}
}

// twoPassesPastGrace runs two retention passes (a day's retention) of a
// term started now, on a clock past every bucket's grace.
func twoPassesPastGrace(t *testing.T, st *store.Store) {
	t.Helper()
	var clock atomic.Pointer[time.Time]
	set := func(t time.Time) { clock.Store(&t) }
	set(time.Now())
	l, _, _ := termOf(t, st, func(c *Config) {
		dayOfHistory(c)
		c.Now = func() time.Time { return *clock.Load() }
	})
	set(time.Now().Add(2*l.s.cfg.BucketGrace + time.Minute)) // every bucket past its grace
	for range 2 {
		if err := l.pruneResults(); err != nil {
			t.Fatal(err)
		}
	}
}

// dayOfHistory configures a scheduler with a day's result retention for a
// test that makes its history now: result buckets of windows days old, made
// at once, age from their windows and late marks (Config.historyMadeNow).
func dayOfHistory(c *Config) {
	c.ResultRetention = 24 * time.Hour
	c.historyMadeNow = true
}
