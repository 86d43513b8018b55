package web

import (
	"context"
	"io"
	"net/http"
	"os/exec"
	"testing"
	"time"

	"github.com/drover-sched/drover/client"
	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
	"github.com/drover-sched/drover/zkserver"
)

// Found by review112.

// TestAPISchedulesListingOutlivesOneUnreadableResult: since 0103cfd the
// listing /api/v1/schedules reads the result of every active run of every
// schedule on its page (client.SchedulesFirst refreshes its page), and
// fails as a whole when one of those reads fails for that znode alone (an
// ACL without read, set by hand or by another program: scheduler.
// RefreshRuns returns the read's error). Before, the listing read only the
// schedule records and answered. Now every schedule is hidden behind one
// result: a 500, and the dashboard, which asks for the listing with the
// cluster and the tasks, goes stale as a whole ("error: ... 500"). The
// leader passes over such a znode (nodeFault); the listing does not.
func TestAPISchedulesListingOutlivesOneUnreadableResult(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	c := client.New(st)
	res, err := c.Submit(context.Background(), []client.TaskSpec{{Cmd: []string{"true"}}})
	if err != nil {
		t.Fatal(err)
	}
	id := res[0].ID
	// It ran and succeeded (as a worker's report files it).
	drovertest.Succeed(t, st, id)
	slot := time.Now().Add(-time.Hour).UTC()
	for i, name := range []string{"hourly", "nightly"} {
		rec := &store.Schedule{Name: name, Cron: "@daily", Catchup: store.CatchupNone, Concurrency: store.ConcurrencyAllow,
			CreatedAt: time.Now().UTC(), KeepSucceeded: 10, KeepFailed: 10, Task: store.Task{Cmd: []string{"true"}}}
		if i == 1 {
			rec.LastSlot, rec.Fired, rec.Active = slot, 1, []store.ScheduleRun{{Slot: slot, Task: id}}
		}
		if err := st.AddSchedule(rec); err != nil {
			t.Fatal(err)
		}
	}
	result := st.Layout().Result(id)
	setACLOf(t, result, "world:anyone:cdwa")
	t.Cleanup(func() { setACLOf(t, result, "world:anyone:cdrwa") })

	hs := apiServer(t, st)
	r, err := http.Get(hs.URL + "/api/v1/schedules")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if r.StatusCode != http.StatusOK {
		t.Fatalf("/api/v1/schedules with one active run's result unreadable (an ACL without read): %d %s; want the two schedules listed",
			r.StatusCode, body)
	}
}

// setACLOf sets path's ACL with zkCli (the store sets none).
func setACLOf(t *testing.T, path, acl string) {
	t.Helper()
	java, cp, err := zkserver.Find()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(java, "-cp", cp, "org.apache.zookeeper.ZooKeeperMain",
		"-server", drovertest.Addr(), "setAcl", path, acl).CombinedOutput()
	if err != nil {
		t.Fatalf("setAcl %s %s: %v\n%s", path, acl, err, out)
	}
}
