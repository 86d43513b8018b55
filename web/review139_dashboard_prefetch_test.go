package web

import (
	"strings"
	"testing"

	"github.com/drover-sched/drover/client"
	"github.com/drover-sched/drover/scheduler"
	"github.com/drover-sched/drover/store"
)

// review139: a worker's prefetch (448ef62) is shown by `drover workers` as
// CAPACITY 4+4, since RUNNING counts its waiting assignments too; the
// dashboard still shows running/capacity alone: a worker of capacity 4 with
// a prefetch of 4, full, reads "8/4", twice its capacity, with nothing to
// say that four of them wait for a slot.
func TestReview139DashboardShowsNoPrefetch(t *testing.T) {
	dom := renderView(t, clusterView{
		Leader: &client.LeaderInfo{SchedulerInfo: client.SchedulerInfo{ID: "s1", Host: "h", PID: 7}, Epoch: 4, Standbys: []client.SchedulerInfo{}},
		Served: "leader", ServedByID: "s1",
		Workers: []client.WorkerStatus{{WorkerInfo: store.WorkerInfo{ID: "w1", Host: "h", Capacity: 4, Prefetch: 4}, Running: 8}},
		Stats:   viewStats(scheduler.Stats{Leader: true, ViewReady: true, Epoch: 4, Queued: map[string]int64{"low": 0, "normal": 0, "high": 0}}),
	})
	if !strings.Contains(dom, ">w1<") {
		t.Fatalf("the dashboard did not render the worker:\n%s", dom)
	}
	if !strings.Contains(dom, "4+4") && !strings.Contains(strings.ToLower(dom), "prefetch") {
		i := strings.Index(dom, ">w1<")
		t.Fatalf("the dashboard shows a full worker of capacity 4 with a prefetch of 4 with no sign of its prefetch (drover workers says 4+4); its row: %s",
			dom[i:min(len(dom), i+300)])
	}
}
