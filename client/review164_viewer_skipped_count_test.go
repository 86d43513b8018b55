package client

import (
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// a5cf585 counts, in drover ls by the read-only identity, the worker
// directories it may not list (l.res.Skipped += len(hidden)), and drover ls
// prints that as "skipped N unreadable task record(s)". README: a listing
// by the read-only identity "skips what it may not read, and says how
// many". With three tasks running on a worker started without
// DROVER_ZK_AUTH_READONLY, the viewer's listing leaves out the three and
// says it skipped one (an idle such worker makes it say one is skipped
// where none is). The count of a directory's assignments needs no read
// permission (exists: its stat's NumChildren).
func TestReview164ViewerListingCountsDirectoriesNotTasks(t *testing.T) {
	v := newViewerCluster(t)
	owner := v.owner()
	v.worker("blindw", nil, v.blind()) // first: its directory is made by it
	v.scheduler()
	ctx := v.ctx

	var specs []TaskSpec
	for range 3 {
		specs = append(specs, TaskSpec{Cmd: []string{"sleep", "60"}})
	}
	if _, err := New(owner).Submit(ctx, specs); err != nil {
		t.Fatal(err)
	}
	drovertest.WaitFor(t, 30*time.Second, "three tasks running", func() bool {
		l, err := New(owner).ListTasks(ctx, ListOptions{State: store.StateRunning})
		return err == nil && len(l.Tasks) == 3
	})

	l, err := v.viewer().ListTasks(ctx, ListOptions{})
	if err != nil {
		t.Fatalf("viewer's listing: %v", err)
	}
	if missing := 3 - len(l.Tasks); l.Skipped < missing {
		t.Errorf("the viewer's drover ls leaves out %d running task(s) and says it skipped %d", missing, l.Skipped)
	}
}
