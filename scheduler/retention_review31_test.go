package scheduler

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// TestRetentionAgesByZooKeepersClock: a late result is kept for
// --result-retention from when it came (README), and a deadletter record
// for --result-retention from when it was made; both times are ZooKeeper's
// (the bucket's mark's mtime, the record's ctime). pruneResults takes its
// cutoff from the leader's own clock, so a leader host whose clock runs
// ahead of ZooKeeper's by more than the retention prunes a result that
// came a moment ago, and a record moved aside a moment ago, at its next
// pass. (The tombstone sweep, which had the same mix of clocks, ages on
// ZooKeeper's since review28/29.) (Found by review31.)
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
// returns the error and the whole pass ends there: every newer bucket, and
// deadletter/, goes unpruned. While the entry stays unreadable (here an ACL
// without read, as in TestRetentionKeepsAResultWhoseKeyEntryItCannotRead,
// but left) every pass ends at the same bucket, for good: results pile up
// past --result-retention and --max-results, and deadletter/ grows until its
// writers drop malformed data uncopied (store.MaxDeadletters). (Found by
// review31.)
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
}
