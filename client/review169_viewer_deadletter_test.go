package client

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// TestReview169ViewerDeadletterListFailsOnOneUnreadableRecord: README
// (Security): "a listing by the read-only identity skips what it may not
// read, and says how many"; drover ls, workers and the look-ups do. A
// process not given the read-only identity (the "blind" one these viewer
// tests use: a worker started without DROVER_ZK_AUTH_READONLY) that moves
// malformed data aside creates its deadletter record with its own ACL
// only. Client.Deadletters (drover deadletter ls)
// then fails whole on that one record (ErrNoAuth from GetMany is returned
// as the command's error, exit 1): the viewer sees none of the
// deadletter records it may read, and no count of the one it may not.
func TestReview169ViewerDeadletterListFailsOnOneUnreadableRecord(t *testing.T) {
	v := newViewerCluster(t)
	owner := v.owner()
	blind := v.blind()
	lay := owner.Layout()
	// Two malformed records: one moved aside by a process that gives the
	// viewer read, then one by a process that does not.
	for i, st := range []*store.Store{owner, blind} {
		p := lay.Schedule([]string{"junk-a", "junk-b"}[i])
		if err := st.Create(p, []byte("not json")); err != nil {
			t.Fatal(err)
		}
		if err := st.Quarantine(p, []byte("not json"), 0, store.ErrMalformed); err != nil {
			t.Fatal(err)
		}
	}
	all, n, err := New(owner).Deadletters(context.Background(), 0)
	if err != nil || n != 2 || len(all) != 2 {
		t.Fatalf("control: the owner's deadletter ls: %d of %d, %v", len(all), n, err)
	}
	got, total, err := v.viewer().Deadletters(context.Background(), 0)
	if err != nil {
		t.Fatalf("the viewer's deadletter ls fails whole on the one record it may not read (%v): want the record it may read listed, and the other skipped and counted, as drover ls does", err)
	}
	if len(got) < 1 || total != 2 {
		t.Fatalf("the viewer's deadletter ls: %d records of %d", len(got), total)
	}
	// The one it may not read is listed with when ZooKeeper made it (an
	// exists needs no right), not year 1.
	for _, e := range got {
		if e.At.IsZero() || time.Since(e.At).Abs() > time.Hour {
			t.Errorf("the viewer's deadletter ls: %s at %v (%s); want the time it was moved aside", e.ID, e.At, e.Reason)
		}
	}
}

// A deadletter record that does not decode (written by hand, or by a
// release that wrote another form) is listed at the time ZooKeeper made
// it, not year 1 (drover deadletter ls -o json said "0001-01-01T00:00:00Z").
func TestDeadletterUnreadableRecordHasItsTime(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	if err := st.Create(st.Layout().Deadletter()+"/junk-0000000001", []byte("not json")); err != nil {
		t.Fatal(err)
	}
	list, _, err := New(st).Deadletters(context.Background(), 0)
	if err != nil || len(list) != 1 {
		t.Fatalf("deadletters: %v, %v", list, err)
	}
	if e := list[0]; e.At.IsZero() || time.Since(e.At).Abs() > time.Hour || !strings.Contains(e.Reason, "unreadable") || string(e.Data) != "not json" {
		t.Fatalf("an unreadable deadletter record: at %v, reason %q; want its znode's time, unreadable, and the record as data", e.At, e.Reason)
	}
}
