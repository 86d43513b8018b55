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

// TestMalformedQueueItemIsMovedAsideThoughItsKeyEntryIsUnreadable: a queue
// item that does not decode is moved to deadletter whatever its key index
// entry's ACL (FAILURES: a znode under keyindex/ made unreadable by hand).
// Quarantine used to look for the entry with exists, which ZooKeeper
// answers without an ACL check; it now gets the entry (to find the key),
// and an entry without read fails the whole move. The item stays where it
// is, and the leader's listing of its bucket (addRead) returns the error:
// every term that lists the queue ends there, and nothing is placed.
func TestMalformedQueueItemIsMovedAsideThoughItsKeyEntryIsUnreadable(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	lay := st.Layout()
	task := &store.Task{ID: ulid.MustNew(ulid.Now(), rand.Reader).String(), Cmd: []string{"true"}, Key: "k", SubmittedAt: time.Now().UTC()}
	if _, err := st.Submit(context.Background(), []*store.Task{task}); err != nil {
		t.Fatal(err)
	}
	item := lay.QueueItem(task.ID)
	if _, err := st.Set(item, []byte("junk"), -1); err != nil {
		t.Fatal(err)
	}
	entry := lay.KeyIndexItem(task.ID)
	setACL(t, entry, "world:anyone:cdwa") // unreadable, and stays so
	t.Cleanup(func() {
		if ok, _, err := st.Exists(entry); err == nil && ok {
			setACL(t, entry, "world:anyone:cdrwa")
		}
	})
	l, _, _ := termOf(t, st)
	err := l.addRead(l.read(item)) // as a listing that reads the item does
	ok, _, xerr := st.Exists(item)
	if err != nil || xerr != nil || ok {
		t.Fatalf("the leader's read of the item: %v; the junk queue item still there: %v (%v): a keyed task's malformed item whose key index entry cannot be read is never moved aside, and every term ends at it", err, ok, xerr)
	}
}
