package client

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// A removal of a schedule that does not exist fails with ErrNoSchedule,
// also when the reply lost is that of RemoveSchedule's first read (its
// Get of the record): nothing was written, and the look for the removal
// (no schedule by that name) was taken for the removal applied, so the
// removal of a misspelt name succeeded (drover schedule rm exited 0).
// (Found by review.)
func TestLostReplyOfARemovalOfNoScheduleSaysNoSuchSchedule(t *testing.T) {
	root := drovertest.NewRoot()
	px := drovertest.StartProxy(t, drovertest.Addr())
	c := New(drovertest.OpenStoreAt(t, px.Addr(), root))
	st := drovertest.OpenStore(t, root)
	p := st.Layout().Schedule("no-such-schedule")
	px.DropRepliesAfter([]byte(p))
	done := make(chan error, 1)
	go func() { done <- c.RemoveSchedule(context.Background(), "no-such-schedule") }()
	drovertest.WaitFor(t, 10*time.Second, "the read of the record sent", px.Dropping)
	px.Cut(true)
	px.Cut(false)
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the removal did not return")
	}
	if ok, _, xerr := st.Exists(p); xerr != nil || ok {
		t.Fatalf("record of the schedule: exists %v (%v)", ok, xerr)
	}
	if !errors.Is(err, store.ErrNoSchedule) {
		t.Fatalf("removal of no schedule, its read's reply lost: %v; want ErrNoSchedule", err)
	}
}
