package client

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
)

// An update whose write landed but whose reply was lost is sent again: its
// second try finds the schedule as asked already, and the update said it
// changed nothing (changed false; ApplySchedule Unchanged), so `schedule
// add --update` printed "unchanged" of a schedule it had just changed, and
// a deploy script that acts on the difference took no note of it.
// (Found by review208.)
func TestLostReplyOfAnUpdateSaysUpdated(t *testing.T) {
	root := drovertest.NewRoot()
	px := drovertest.StartProxy(t, drovertest.Addr())
	c := New(drovertest.OpenStoreAt(t, px.Addr(), root))
	spec := ScheduleSpec{Name: "nightly", Cron: "0 2 * * *", Task: TaskSpec{Cmd: []string{"./report.sh"}}}
	if _, err := c.AddSchedule(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	spec.Task.Cmd = []string{"./report.sh", "--marker-review208"}
	px.DropRepliesAfter([]byte("--marker-review208"))
	type result struct {
		applied Applied
		err     error
	}
	done := make(chan result, 1)
	go func() {
		_, applied, err := c.ApplySchedule(context.Background(), spec)
		done <- result{applied, err}
	}()
	drovertest.WaitFor(t, 10*time.Second, "the update's write sent", px.Dropping)
	px.Cut(true)
	px.Cut(false)
	var r result
	select {
	case r = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the update did not return")
	}
	rec, _, err := New(drovertest.OpenStore(t, root)).readSchedule("nightly")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rec.Task.Cmd, spec.Task.Cmd) {
		t.Fatalf("record's command %q, want %q", rec.Task.Cmd, spec.Task.Cmd)
	}
	if r.err != nil || r.applied != Updated {
		t.Fatalf("update whose reply was lost: %q, %v; want %q", r.applied, r.err, Updated)
	}
}
