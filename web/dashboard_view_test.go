package web

import (
	"encoding/json"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/client"
	"github.com/drover-sched/drover/scheduler"
	"github.com/drover-sched/drover/store"
)

// renderView renders the dashboard in headless Chromium against an API
// whose /api/v1/cluster answers view and whose listings are empty.
func renderView(t *testing.T, view clusterView) string {
	t.Helper()
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (make test installs it with apt-get)")
	}
	body, err := json.Marshal(view)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/cluster", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(body) })
	mux.HandleFunc("GET /api/v1/", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("[]")) })
	return renderDashboard(t, chromium, mux)
}

// TestDashboardOnALeaderStillListingShowsNoQueueCounts renders the
// dashboard of a leader that has not yet listed the queue (elected a moment
// ago, or rebuilding its view after a lost connection: Stats.ViewReady
// false). Its Queued are zeros that stand for nothing, which /metrics
// leaves out for that reason (README: "only the leader reports
// drover_queue_depth ... once it has listed the workers and the queue");
// the dashboard showed them as "queued high/normal/low: 0/0/0", an empty
// queue, at the moment an operator looks at it during a failover.
func TestDashboardOnALeaderStillListingShowsNoQueueCounts(t *testing.T) {
	// What cluster() answers for such a leader: its own Stats, Leader true,
	// ViewReady false, the counts zero as lead() and reset() leave them.
	dom := renderView(t, clusterView{
		Leader: &client.LeaderInfo{SchedulerInfo: client.SchedulerInfo{ID: "s1", Host: "h", PID: 7}, Epoch: 4, Standbys: []client.SchedulerInfo{}},
		Served: "leader", ServedByID: "s1", Workers: []client.WorkerStatus{},
		Stats: viewStats(scheduler.Stats{Leader: true, ViewReady: false, Epoch: 4, Queued: map[string]int64{"low": 0, "normal": 0, "high": 0}}),
	})
	if !strings.Contains(dom, "leader <b>s1</b>") {
		t.Fatalf("the dashboard did not render the cluster:\n%s", dom)
	}
	if strings.Contains(dom, "queued high/normal/low: 0/0/0") {
		t.Fatalf("a leader that has not listed the queue yet shows an empty queue (ViewReady false: its counts are no count):\n%s", dom)
	}
	if !strings.Contains(dom, "still listing the queue") {
		t.Fatalf("the dashboard does not say the leader is still listing the queue:\n%s", dom)
	}
}

// TestDashboardShowsAnUnreadableSchedulerRecordAsUnknown renders the
// dashboard when the leader's election record does not decode (written over
// by hand, or by a newer Drover mid-upgrade): its id and pid are shown as
// ?, with why, not as a leader with no name and pid 0.
func TestDashboardShowsAnUnreadableSchedulerRecordAsUnknown(t *testing.T) {
	dom := renderView(t, clusterView{
		Leader: &client.LeaderInfo{SchedulerInfo: client.SchedulerInfo{RecordError: "election record n_x-0000000001: malformed"}, Epoch: 4,
			Standbys: []client.SchedulerInfo{{ID: "s2", Host: "h", PID: 8}}},
		Served: "standby", ServedByID: "s2", Workers: []client.WorkerStatus{},
		Stats: viewStats(scheduler.Stats{Epoch: 4}),
	})
	if !strings.Contains(dom, `leader <b><span title="election record n_x-0000000001: malformed">?</span></b>`) || !strings.Contains(dom, "standbys: s2") {
		t.Fatalf("the dashboard does not show the unreadable leader record as ?:\n%s", dom)
	}
	if strings.Contains(dom, "pid 0") || !strings.Contains(dom, "pid ?") {
		t.Fatalf("the dashboard shows the unreadable leader record's unknown pid as 0:\n%s", dom)
	}
}

// TestDashboardShowsCordonedAndDrainingWorkers renders the workers' STATE
// as drover workers says it: up, cordoned (its note in the cell's title,
// escaped), draining, or both.
func TestDashboardShowsCordonedAndDrainingWorkers(t *testing.T) {
	w := func(id string, draining bool, c *store.Cordon) client.WorkerStatus {
		return client.WorkerStatus{WorkerInfo: store.WorkerInfo{ID: id, Host: "h", Capacity: 2, Draining: draining}, Cordon: c}
	}
	dom := renderView(t, clusterView{
		Leader: &client.LeaderInfo{SchedulerInfo: client.SchedulerInfo{ID: "s1", Host: "h", PID: 7}, Epoch: 1, Standbys: []client.SchedulerInfo{}},
		Served: "leader", ServedByID: "s1",
		Workers: []client.WorkerStatus{w("wa", false, nil), w("wb", false, &store.Cordon{Note: `disk "swap" <b>`}), w("wc", true, nil), w("wd", true, &store.Cordon{})},
		Stats:   viewStats(scheduler.Stats{Leader: true, ViewReady: true, Epoch: 1, Queued: map[string]int64{}}),
	})
	for id, want := range map[string]string{"wa": ">up<", "wb": ">cordoned<", "wc": ">draining<", "wd": ">cordoned, draining<"} {
		i := strings.Index(dom, ">"+id+"<")
		if i < 0 {
			t.Fatalf("worker %s not shown:\n%s", id, dom)
		}
		row := dom[i:]
		if end := strings.Index(row, "</tr>"); end >= 0 {
			row = row[:end]
		}
		if !strings.Contains(row, want) {
			t.Errorf("worker %s's row %q does not say %s", id, row, want)
		}
	}
	if !strings.Contains(dom, `title="disk &quot;swap&quot; &lt;b&gt;"`) {
		t.Errorf("the cordon's note is not in the cell's title, escaped:\n%s", dom)
	}
}

// The leader's dashboard says how long the task first in a line has waited
// (drover_queue_head_wait_seconds) once it is a second or more.
func TestDashboardShowsTheHeadWait(t *testing.T) {
	view := func(wait time.Duration) clusterView {
		return clusterView{
			Leader: &client.LeaderInfo{SchedulerInfo: client.SchedulerInfo{ID: "s1", Host: "h", PID: 7}, Epoch: 4, Standbys: []client.SchedulerInfo{}},
			Served: "leader", ServedByID: "s1", Workers: []client.WorkerStatus{},
			Stats: viewStats(scheduler.Stats{Leader: true, ViewReady: true, Epoch: 4, Queued: map[string]int64{"low": 0, "normal": 3, "high": 0}, HeadWait: wait}),
		}
	}
	if dom := renderView(t, view(90*time.Second)); !strings.Contains(dom, "longest wait at the head of a line: 90 s") {
		t.Fatalf("a queue whose head waited 90 s does not say so:\n%s", dom)
	}
	if dom := renderView(t, view(0)); strings.Contains(dom, "longest wait") || !strings.Contains(dom, "queued high/normal/low: 0/3/0") {
		t.Fatalf("a queue that moves shows a wait, or no counts:\n%s", dom)
	}
}

// The leader's dashboard says how many queued tasks are not due yet
// (drover_queue_delayed), when any are.
func TestDashboardShowsTheDelayed(t *testing.T) {
	view := func(delayed int64) clusterView {
		return clusterView{
			Leader: &client.LeaderInfo{SchedulerInfo: client.SchedulerInfo{ID: "s1", Host: "h", PID: 7}, Epoch: 4, Standbys: []client.SchedulerInfo{}},
			Served: "leader", ServedByID: "s1", Workers: []client.WorkerStatus{},
			Stats: viewStats(scheduler.Stats{Leader: true, ViewReady: true, Epoch: 4, Queued: map[string]int64{"low": 0, "normal": 3, "high": 0}, Delayed: delayed}),
		}
	}
	if dom := renderView(t, view(2)); !strings.Contains(dom, "2 not due yet") {
		t.Fatalf("a queue with 2 tasks not due does not say so:\n%s", dom)
	}
	if dom := renderView(t, view(0)); strings.Contains(dom, "not due yet") {
		t.Fatalf("a queue with none delayed says some are:\n%s", dom)
	}
}
