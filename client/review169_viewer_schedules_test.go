package client

import (
	"context"
	"testing"
	"time"

	"github.com/drover-sched/drover/store"
)

// TestReview169ViewerScheduleListFailsOnOneUnreadableSchedule: README
// (Security): "a listing by the read-only identity skips what it may not
// read, and says how many". ListSchedules (drover schedule ls, and
// /api/v1/schedules, the dashboard's page, which SchedulesPage serves)
// counts as skipped a record that does not decode, but returns the
// ErrNoAuth of a record it may not read as the listing's error: one
// schedule added by a client not given DROVER_ZK_AUTH_READONLY (a cron
// job's `drover schedule add` run without it) makes the viewer's whole
// schedule listing fail, every schedule it may read unlisted.
func TestReview169ViewerScheduleListFailsOnOneUnreadableSchedule(t *testing.T) {
	v := newViewerCluster(t)
	owner := v.owner()
	blind := v.blind()
	for i, st := range []*store.Store{owner, blind} {
		rec := &store.Schedule{Name: []string{"seen", "unseen"}[i], Cron: "0 2 * * *", Catchup: store.CatchupNone,
			CreatedAt: time.Now().UTC(), KeepSucceeded: 10, KeepFailed: 10}
		rec.Task.Cmd = []string{"true"}
		if err := st.AddSchedule(rec); err != nil {
			t.Fatal(err)
		}
	}
	all, _, err := New(owner).ListSchedules(context.Background())
	if err != nil || len(all) != 2 {
		t.Fatalf("control: the owner lists %d schedules, %v", len(all), err)
	}
	list, skipped, err := v.viewer().ListSchedules(context.Background())
	if err != nil {
		t.Fatalf("the viewer's schedule listing fails whole on the one schedule it may not read (%v): want \"seen\" listed and one skipped", err)
	}
	if len(list) != 1 || skipped != 1 {
		t.Fatalf("the viewer lists %d schedules, skipped %d: want 1 and 1", len(list), skipped)
	}
}
