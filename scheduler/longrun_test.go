package scheduler

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// TestTombstoneGoesDespiteTermsShorterThanAnHour: a removed schedule's
// tombstone is deleted tombstoneAge after a leader first read it, counted
// from that leader's read (tombstone.seen, in memory): every new term, and
// every rebuild of the view within one (reset after a lost connection),
// reads it anew and starts the hour again. Leaders that come and go (or
// rebuild) more often than hourly never delete a tombstone, and a cluster
// whose schedules are added and removed under new names grows schedules/
// without bound, towards the listing cap that refuses new schedules
// (store.ErrTooManySchedules). Here six terms of 40 minutes each, four
// hours after the removal: the tombstone is still there. (Found by review.)
func TestTombstoneGoesDespiteTermsShorterThanAnHour(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	addSchedule(t, st, &store.Schedule{Name: "gone", Cron: "@yearly"})
	if err := st.RemoveSchedule("gone"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var clock atomic.Pointer[time.Time]
	set := func(at time.Time) { clock.Store(&at) }
	for i := range 6 {
		at := start.Add(time.Duration(i) * 40 * time.Minute)
		set(at)
		l, _, stop := termOf(t, st, func(c *Config) { c.Now = func() time.Time { return *clock.Load() } })
		if err := l.syncSchedules(); err != nil {
			t.Fatal(err)
		}
		set(at.Add(39 * time.Minute)) // the loop sweeps every second of the term
		if err := l.sweepTombstones(); err != nil {
			t.Fatal(err)
		}
		stop()
	}
	if scheduleExists(t, st, "gone") {
		t.Fatalf("the tombstone of a schedule removed 4 h ago is still there after six terms of 40 min (tombstoneAge %v)", tombstoneAge)
	}
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
	})
	if err := l.pruneResults(); err != nil {
		t.Fatal(err)
	}
	// The task, still queued, is moved aside, as the leader's addRead does
	// with an item that does not decode.
	item := lay.QueueItem(keyed.ID)
	stat, err := st.Set(item, []byte("junk"), -1)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Quarantine(item, []byte("junk"), stat.Version, fmt.Errorf("%w: junk", store.ErrMalformed)); err != nil {
		t.Fatal(err)
	}
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
