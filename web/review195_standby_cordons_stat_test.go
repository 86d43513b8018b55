package web

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// 2671519 adds Stats.Cordons, counted by the leader alone (syncCordons) and
// zeroed when a term ends; /metrics leaves drover_cordons out on a standby,
// as drover_workers. But statsView (the API's cluster and the dashboard)
// makes only queued and workers null off the leader (review110): a
// standby's /api/v1/cluster says "stats": {"cordons": 0} while a worker it
// lists in the same answer is cordoned, the zero a script reads as "no
// cordon" (README: a standby's stats have the leader's counts null).
func TestReview195APIStandbyClusterSaysNoCordons(t *testing.T) {
	srv := serve(t)
	if _, err := srv.st.CordonWorker("w9", store.Cordon{Note: "maintenance"}); err != nil {
		t.Fatal(err)
	}
	drovertest.WaitFor(t, 10*time.Second, "the leader counts the cordon", func() bool { return srv.sched.Stats().Cordons == 1 })
	hs := serveStandby(t, srv)
	var v struct {
		Served string         `json:"served_by"`
		Stats  map[string]any `json:"stats"`
	}
	getList(t, hs.URL+"/api/v1/cluster", &v)
	if v.Served != "standby" {
		t.Fatalf("cluster from s2: served_by %q", v.Served)
	}
	if n, ok := v.Stats["cordons"].(float64); ok && n == 0 {
		raw, _ := json.Marshal(v.Stats)
		t.Errorf(`a standby's /api/v1/cluster says "stats": {"cordons": 0} while the leader counts 1 cordon: %s`, raw)
	}
}
