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

// TestKeyIndexFirstLevelBucketGoesAfterFailoversMidPrune: a first-level key
// index bucket keyindex/<b1> is deleted right after the walk deletes
// results/<b1>/<b2> (the last second-level bucket), and, should that delete
// fail, again by the next pass, which finds results/<b1> empty and deletes
// it *first*, then keyindex/<b1>. Should the term end between those two
// deletes as well (a second failover, or a lost connection, mid-prune),
// nothing leads any later pass to keyindex/<b1> (only a result bucket does),
// and it stays for good. Deleting keyindex/<b1> before results/<b1> (as the
// walk deletes a second-level key index bucket before its result bucket)
// would leave nothing behind.
//
// Here a keyed task two days past a day's retention; the first term ends
// just after results/<b1>/<b2> went (before keyindex/<b1>), the second just
// after results/<b1> went (before keyindex/<b1>); a third term then runs
// three passes.
func TestKeyIndexFirstLevelBucketGoesAfterFailoversMidPrune(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	lay := st.Layout()
	at := time.Now().Add(-48 * time.Hour)
	keyed := &store.Task{ID: ulid.MustNew(ulid.Timestamp(at), rand.Reader).String(), Cmd: []string{"true"}, Key: "k", SubmittedAt: at}
	if _, err := st.Submit(context.Background(), []*store.Task{keyed}); err != nil {
		t.Fatal(err)
	}
	succeed(t, st, keyed)
	b1, b2 := store.Bucket(keyed.ID)
	kib1 := lay.KeyIndex() + "/" + b1
	exists := func(p string) bool {
		ok, _, err := st.Exists(p)
		if err != nil {
			t.Error(err)
		}
		return ok
	}
	later := time.Now().Add(48 * time.Hour)
	// term starts a term whose fence is deleted (a failover) the first
	// time its clock is read while cut holds: between two deletes.
	term := func(cut func() bool) *leader {
		var fence string
		ended := false
		l, f, _ := termOf(t, st, func(c *Config) {
			c.ResultRetention = 24 * time.Hour
			c.zookeeperAhead = time.Until(later)
			c.Now = func() time.Time {
				if fence != "" && !ended && cut != nil && cut() {
					ended = true
					if err := st.Delete(fence, -1); err != nil {
						t.Error(err)
					}
				}
				return later
			}
		})
		fence = f
		return l
	}
	// Term 1: ends after results/<b1>/<b2> went, before keyindex/<b1>.
	l1 := term(func() bool { return !exists(lay.ResultBucket(b1, b2)) && exists(kib1) })
	_ = l1.pruneResults()
	// Term 2: ends after results/<b1> went, before keyindex/<b1>.
	l2 := term(func() bool { return !exists(lay.Results()+"/"+b1) && exists(kib1) })
	_ = l2.pruneResults()
	if exists(lay.Results() + "/" + b1) {
		t.Fatalf("setup: results/%s still there after two terms' passes", b1)
	}
	// Term 3: no failover.
	l3 := term(nil)
	for range 3 {
		if err := l3.pruneResults(); err != nil {
			t.Fatal(err)
		}
	}
	if exists(kib1) {
		kids, _ := st.Children(kib1)
		t.Fatalf("keyindex/%s (children %v) still there after three more passes, two days past a day's retention: "+
			"results/%s went first, and no pass comes back to it", b1, kids, b1)
	}
}
