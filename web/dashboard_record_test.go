package web

import (
	"encoding/json"
	"net/http"
	"os/exec"
	"strings"
	"testing"

	"github.com/drover-sched/drover/client"
	"github.com/drover-sched/drover/scheduler"
)

// A leader whose election record does not decode has no known pid (the
// record holds it; client.SchedulerInfo says ID, Host and PID are then
// unknown, zero): the dashboard shows its id as ?, and must not show the
// zero as its pid, as drover leader shows ? there too.
func TestDashboardShowsNoPidForAnUnreadableLeaderRecord(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (make test installs it with apt-get)")
	}
	body, err := json.Marshal(clusterView{
		Leader: &client.LeaderInfo{SchedulerInfo: client.SchedulerInfo{RecordError: "election record n_x-0000000001: malformed"}, Epoch: 4,
			Standbys: []client.SchedulerInfo{{ID: "s2", Host: "h", PID: 8}}},
		Served: "standby", ServedByID: "s2", Workers: []client.WorkerStatus{},
		Stats: scheduler.Stats{Epoch: 4},
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/cluster", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(body) })
	mux.HandleFunc("GET /api/v1/", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("[]")) })
	dom := renderDashboard(t, chromium, mux)
	if !strings.Contains(dom, "standbys: s2") {
		t.Fatalf("the dashboard did not render the cluster:\n%s", dom)
	}
	if strings.Contains(dom, "pid 0") {
		t.Fatalf("the dashboard shows the unreadable leader record's unknown pid as 0:\n%s", dom)
	}
}
