package web

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/drover-sched/drover/client"
	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/scheduler"
	"github.com/drover-sched/drover/store"
	"github.com/oklog/ulid/v2"
)

// A standby keeps no queue and no view of the workers. Its /metrics learnt
// to leave drover_workers and drover_queue_depth out rather than report
// zeros that read as "no worker left, nothing queued" (990efa1,
// TestStandbyMetricsDoNotReportTheLeadersGaugesAsZero), and its dashboard
// not to show them; but /api/v1/cluster, which any scheduler serves and a
// load balancer may send to a standby, still answers
// "stats": {"workers": 0, "queued": {"high": 0, ...}}: the same zeros, as
// numbers, in the JSON a script reads, beside a "workers" list of two.
// (Found by review110.)
func TestAPIStandbyClusterStatsReportTheLeadersCountsAsZero(t *testing.T) {
	srv := serve(t)
	stuck := &store.Task{ID: ulid.Make().String(), Cmd: []string{"true"}, On: map[string]string{"zone": "nowhere"},
		Priority: store.PriorityHigh, SubmittedAt: time.Now().UTC()}
	if _, err := srv.st.Submit(context.Background(), []*store.Task{stuck}); err != nil {
		t.Fatal(err)
	}
	drovertest.WaitFor(t, 10*time.Second, "the queued task counted", func() bool { return srv.sched.Stats().Queued["high"] == 1 })
	hs := serveStandby(t, srv)
	var v struct {
		Served  string            `json:"served_by"`
		Workers []json.RawMessage `json:"workers"`
		Stats   map[string]any    `json:"stats"`
	}
	getList(t, hs.URL+"/api/v1/cluster", &v)
	if v.Served != "standby" || len(v.Workers) != 2 {
		t.Fatalf("cluster from s2: served_by %q, %d workers; want a standby's view of 2 workers", v.Served, len(v.Workers))
	}
	if n, ok := v.Stats["workers"].(float64); ok && n == 0 {
		t.Errorf(`a standby's /api/v1/cluster says "stats": {"workers": 0} while 2 workers are registered (listed in the same answer)`)
	}
	if q, ok := v.Stats["queued"].(map[string]any); ok {
		if n, ok := q["high"].(float64); ok && n == 0 {
			t.Errorf(`a standby's /api/v1/cluster says "stats": {"queued": {"high": 0}} while the leader counts 1 high task queued`)
		}
	}
}

// serveStandby starts scheduler s2 beside srv's leader s1, waits until it
// stands by, and serves its API.
func serveStandby(t *testing.T, srv served) *httptest.Server {
	t.Helper()
	sst := drovertest.OpenStore(t, srv.st.Layout().Root)
	standby, err := scheduler.New(scheduler.Config{ID: "s2", Store: sst, Log: drovertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	drovertest.Run(t, "standby", standby.Run)
	drovertest.WaitFor(t, 20*time.Second, "s2 standing by", func() bool {
		l, err := client.New(sst).Leader(context.Background())
		return err == nil && l.ID == "s1" && len(l.Standbys) == 1 && l.Standbys[0].ID == "s2"
	})
	hs := httptest.NewServer(New(standby, sst).Handler())
	t.Cleanup(hs.Close)
	return hs
}
