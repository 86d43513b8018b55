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

// TestTombstoneGoesDespiteTermsShorterThanItsAge: a removed schedule's
// tombstone is deleted tombstoneAge after it was written. Counted from a
// leader's first read (in memory), every new term, and every rebuild of
// the view within one (reset after a lost connection), read it anew and
// started the hour again: leaders that came and went (or rebuilt) more
// often than hourly never deleted a tombstone, and a cluster whose
// schedules were added and removed under new names grew schedules/
// without bound, towards the listing cap that refuses new schedules
// (store.ErrTooManySchedules). Here the age is 2 s, and terms of half a
// second follow one another until the tombstone goes. (Found by review.)
func TestTombstoneGoesDespiteTermsShorterThanItsAge(t *testing.T) {
	tombstoneAge = 2 * time.Second
	t.Cleanup(func() { tombstoneAge = time.Hour })
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	addAndRemove(t, st, "gone")
	terms := 0
	drovertest.WaitFor(t, 20*time.Second, "the tombstone deleted by one of the short terms", func() bool {
		terms++
		l, _, stop := termOf(t, st)
		defer stop()
		if err := l.syncSchedules(); err != nil {
			t.Fatal(err)
		}
		// The term's sweeps, every second of it; it ends within half a
		// second, before a tombstone it first read could be 2 s old.
		for end := time.Now().Add(500 * time.Millisecond); time.Now().Before(end); {
			if err := l.sweepTombstones(); err != nil {
				t.Fatal(err)
			}
			if !scheduleExists(t, st, "gone") {
				return true
			}
			time.Sleep(50 * time.Millisecond) // the pace of the term's sweeps, not a wait for an event
		}
		return false
	})
	t.Logf("deleted in term %d", terms)
}

// A tombstone stands an hour after the removal (tombstoneAge) so that a
// write prepared from the removed record (a client's pause, resume or
// trigger, a deposed leader's firing) meets it and fails, and never a new
// record of an equal version. Its age is counted on ZooKeeper's clock,
// which stamped it: a leader's clock, however far off, does not shorten
// it. Compared with the leader's clock, a leader 2 h ahead of ZooKeeper
// deleted a tombstone at its first sweep; with an offset learnt as the
// term began, so did one stepped right during its term, and one whose
// term made the epoch znode again learnt none. (Found by review.)
func TestTombstoneStandsAnHourWhateverTheLeadersClock(t *testing.T) {
	for _, c := range []struct {
		name       string
		epochGone  bool          // the term's bump makes the epoch znode again
		begin, now time.Duration // the leader's clock less ZooKeeper's, as the term begins and at the sweep
	}{
		{name: "2 h ahead", begin: 2 * time.Hour, now: 2 * time.Hour},
		{name: "stepped right during the term", begin: -2 * time.Hour, now: 0},
		{name: "2 h ahead, epoch made again", epochGone: true, begin: 2 * time.Hour, now: 2 * time.Hour},
	} {
		t.Run(c.name, func(t *testing.T) {
			root := drovertest.NewRoot()
			st := drovertest.OpenStore(t, root)
			if c.epochGone {
				if err := st.Delete(st.Layout().Epoch(), -1); err != nil && !errors.Is(err, store.ErrNoNode) {
					t.Fatal(err)
				}
			}
			var off atomic.Int64
			off.Store(int64(c.begin))
			l, _, _ := termOf(t, st, func(cfg *Config) {
				cfg.Now = func() time.Time { return time.Now().Add(time.Duration(off.Load())) }
			})
			off.Store(int64(c.now))
			addAndRemove(t, st, "gone")
			if err := l.syncSchedules(); err != nil {
				t.Fatal(err)
			}
			if err := l.sweepTombstones(); err != nil {
				t.Fatal(err)
			}
			if !scheduleExists(t, st, "gone") {
				t.Fatalf("the tombstone of a schedule removed a moment ago was deleted at the first sweep (tombstoneAge %v)", tombstoneAge)
			}
		})
	}
}

// The other way round: a leader whose clock is 2 h behind ZooKeeper's
// deletes a tombstone once it is tombstoneAge old on ZooKeeper's clock
// (here 2 s). Compared with its own clock, it kept one three hours, and
// terms shorter than that never deleted it. (Found by review.)
func TestTombstoneGoesInTimeWithTheLeadersClockBehind(t *testing.T) {
	tombstoneAge = 2 * time.Second
	t.Cleanup(func() { tombstoneAge = time.Hour })
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	addAndRemove(t, st, "gone")
	l, _, _ := termOf(t, st, func(c *Config) { c.Now = func() time.Time { return time.Now().Add(-2 * time.Hour) } })
	if err := l.syncSchedules(); err != nil {
		t.Fatal(err)
	}
	drovertest.WaitFor(t, 10*time.Second, "the tombstone deleted 2 s after it was written", func() bool {
		if err := l.sweepTombstones(); err != nil {
			t.Fatal(err)
		}
		return !scheduleExists(t, st, "gone")
	})
}

// TestKeyIndexBucketGoesWhenItsLastEntryGoesWithoutAResult: a pass finds a
// bucket old whose keyed task is still queued (a long backoff, no worker
// with its labels): its key index bucket holds the task's entry, so its
// delete fails (not empty) and the result bucket is deleted alone. When the
// task is then moved to deadletter (its queue item does not decode, it is
// too large to place: addRead, commitEach) Quarantine deletes its entry,
// and no result ever comes to make the result bucket again: only a result
// bucket leads a pass to a key index bucket, so keyindex/<b1>/<b2> and
// keyindex/<b1> stay for ever, two znodes per such task's bucket.
// (Found by review.)
func TestKeyIndexBucketGoesWhenItsLastEntryGoesWithoutAResult(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	lay := st.Layout()
	at := time.Now().Add(-48 * time.Hour)
	keyed := &store.Task{ID: ulid.MustNew(ulid.Timestamp(at), rand.Reader).String(), Cmd: []string{"true"}, Key: "k", SubmittedAt: at}
	if _, err := st.Submit(context.Background(), []*store.Task{keyed}); err != nil {
		t.Fatal(err)
	}
	b1, b2 := store.Bucket(keyed.ID)
	later := time.Now().Add(48 * time.Hour)
	l, _, _ := termOf(t, st, func(c *Config) {
		c.ResultRetention = 24 * time.Hour
		c.Now = func() time.Time { return later }
		c.zookeeperAhead = time.Until(later) // and ZooKeeper's with it
	})
	if err := l.pruneResults(); err != nil {
		t.Fatal(err)
	}
	moveQueueItemAside(t, st, keyed.ID)
	for range 3 {
		if err := l.pruneResults(); err != nil {
			t.Fatal(err)
		}
	}
	var left []string
	for _, p := range []string{lay.KeyIndexBucket(b1, b2), lay.KeyIndex() + "/" + b1, lay.ResultBucket(b1, b2), lay.Results() + "/" + b1} {
		if ok, _, err := st.Exists(p); err != nil {
			t.Fatal(err)
		} else if ok {
			left = append(left, p)
		}
	}
	if len(left) > 0 {
		kids, _ := st.Children(lay.KeyIndex())
		t.Fatalf("two days past retention, with the bucket's only task moved aside: %v still there (keyindex/ lists %v)", left, kids)
	}
}

// addAndRemove adds schedule name and removes it: its tombstone stands.
func addAndRemove(t *testing.T, st *store.Store, name string) {
	t.Helper()
	addSchedule(t, st, &store.Schedule{Name: name, Cron: "@yearly"})
	if err := st.RemoveSchedule(name); err != nil {
		t.Fatal(err)
	}
}

// Tombstones due together go a batch (sweepBatch) a sweep, one sweep a
// second, as a mass `schedule rm` needs: the gate on reading ZooKeeper's
// clock (a minute between reads) gated the sweeps too, so 20,000 took 78
// minutes past their hour, their names counting against the listing
// limit meanwhile. Here the sweep after the first comes at the same
// instant of the leader's clock, within the gate: it must delete the rest.
func TestTombstonesDueTogetherGoASweepABatch(t *testing.T) {
	tombstoneAge = 2 * time.Second
	t.Cleanup(func() { tombstoneAge = time.Hour })
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	const n = sweepBatch + 44
	for i := range n {
		addAndRemove(t, st, fmt.Sprintf("gone-%03d", i))
	}
	l, _, _ := termOf(t, st)
	if err := l.syncSchedules(); err != nil {
		t.Fatal(err)
	}
	if len(l.tombstones) != n {
		t.Fatalf("%d tombstones read; want %d", len(l.tombstones), n)
	}
	var newest time.Time
	for _, ts := range l.tombstones {
		if ts.written.After(newest) {
			newest = ts.written
		}
	}
	drovertest.WaitFor(t, 30*time.Second, "every tombstone due by ZooKeeper's clock", func() bool {
		zkNow, err := l.st.ZookeeperNow(l.term.Fence)
		return err == nil && zkNow.Sub(newest) >= tombstoneAge
	})
	now := time.Now()
	l.now = func() time.Time { return now }
	if err := l.sweepTombstones(); err != nil {
		t.Fatal(err)
	}
	if left := len(l.tombstones); left != n-sweepBatch {
		t.Fatalf("%d tombstones left after the first sweep; want %d", left, n-sweepBatch)
	}
	if err := l.sweepTombstones(); err != nil {
		t.Fatal(err)
	}
	if left := len(l.tombstones); left != 0 {
		t.Fatalf("%d tombstones left after the second sweep; want none", left)
	}
	names, err := st.Children(st.Layout().Schedules())
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 0 {
		t.Fatalf("%d schedule records left; want none", len(names))
	}
}

// A tombstone stands its hour by ZooKeeper's clock even when the read of
// that clock took long (a server stalled by a pause or a slow disk): the
// reading is moved on from the leader's time after the read. From the
// time before it, every sweep until the next read (a minute) ran ahead of
// ZooKeeper's clock by the read's length. Here the leader's clock moves 4 s
// during the read, and the tombstone is due 2 s after it by ZooKeeper's.
func TestTombstoneStandsItsHourAfterASlowClockRead(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	addAndRemove(t, st, "gone")
	l, _, _ := termOf(t, st)
	if err := l.syncSchedules(); err != nil {
		t.Fatal(err)
	}
	ts, ok := l.tombstones["gone"]
	if !ok {
		t.Fatal("no tombstone read")
	}
	zk0, err := st.ZookeeperNow("")
	if err != nil {
		t.Fatal(err)
	}
	ts.written = zk0.Add(-tombstoneAge + 2*time.Second)
	l.tombstones["gone"] = ts
	due := ts.written.Add(tombstoneAge)
	// The first call of the sweep is before its read of ZooKeeper's clock,
	// every later one after it.
	before, calls := time.Now(), 0
	l.now = func() time.Time {
		if calls++; calls == 1 {
			return before
		}
		return before.Add(4 * time.Second)
	}
	for range 2 { // the sweep that reads the clock, and the next
		if err := l.sweepTombstones(); err != nil {
			t.Fatal(err)
		}
	}
	gone := len(l.tombstones) == 0
	zkNow, err := st.ZookeeperNow("")
	if err != nil {
		t.Fatal(err)
	}
	if gone && zkNow.Before(due) {
		t.Fatalf("tombstone deleted by %v on ZooKeeper's clock, %v before its hour ended", zkNow, due.Sub(zkNow))
	}
}

// An empty first-level key index bucket goes with its empty first-level
// result bucket: its delete after the last second-level bucket went is
// the only other, and should it fail once (a lost connection), the next
// pass found results/<b1> empty and deleted it alone, and keyindex/<b1>
// stayed for good. (Found by review.)
func TestKeyIndexFirstLevelBucketLeftEmptyGoesWithItsResultBucket(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	lay := st.Layout()
	b1, _ := store.Bucket(store.IDAt(time.Now().Add(-48 * time.Hour)))
	for _, p := range []string{lay.Results() + "/" + b1, lay.KeyIndex() + "/" + b1} {
		if err := st.EnsurePath(p); err != nil {
			t.Fatal(err)
		}
	}
	later := time.Now().Add(48 * time.Hour)
	l, _, _ := termOf(t, st, func(c *Config) {
		c.ResultRetention = 24 * time.Hour
		c.Now = func() time.Time { return later }
		c.zookeeperAhead = time.Until(later)
	})
	if err := l.pruneResults(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{lay.Results() + "/" + b1, lay.KeyIndex() + "/" + b1} {
		if ok, _, err := st.Exists(p); err != nil || ok {
			t.Errorf("%s still there (%v), two days past retention and empty", p, err)
		}
	}
}
