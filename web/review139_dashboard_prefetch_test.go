package web

import (
	"strings"
	"testing"

	"github.com/drover-sched/drover/client"
	"github.com/drover-sched/drover/scheduler"
	"github.com/drover-sched/drover/store"
)

// review139: a worker's prefetch (448ef62) is shown by `drover workers` as
// CAPACITY 4+4 and its waiting assignments as WAITING; the dashboard showed
// running/capacity alone: a worker of capacity 4 with a prefetch of 4, full,
// read "8/4", twice its capacity, with nothing to say that four of them
// wait for a slot. Now it reads "4/4 · waiting 4/4".
func TestReview139DashboardShowsNoPrefetch(t *testing.T) {
	dom := renderView(t, clusterView{
		Leader: &client.LeaderInfo{SchedulerInfo: client.SchedulerInfo{ID: "s1", Host: "h", PID: 7}, Epoch: 4, Standbys: []client.SchedulerInfo{}},
		Served: "leader", ServedByID: "s1",
		Workers: []client.WorkerStatus{{WorkerInfo: store.WorkerInfo{ID: "w1", Host: "h", Capacity: 4, Prefetch: 4}, Running: 4, Waiting: 4}},
		Stats:   viewStats(scheduler.Stats{Leader: true, ViewReady: true, Epoch: 4, Queued: map[string]int64{"low": 0, "normal": 0, "high": 0}}),
	})
	if !strings.Contains(dom, ">w1<") {
		t.Fatalf("the dashboard did not render the worker:\n%s", dom)
	}
	if !strings.Contains(dom, ">4/4 · waiting 4/4<") {
		i := strings.Index(dom, ">w1<")
		t.Fatalf("the dashboard shows a full worker of capacity 4 with a prefetch of 4 without its waiting ones (drover workers says RUNNING 4, WAITING 4); its row: %s",
			dom[i:min(len(dom), i+300)])
	}
}
