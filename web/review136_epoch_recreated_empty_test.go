package web

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/drover-sched/drover/client"
	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/scheduler"
)

// TestReview136EpochRecordDeletedThenReopenedIsNotEpochZero: be4cf8d makes
// the epoch record deleted by hand mid-term "leave the leader known and
// its epoch unknown (EpochError)". But the record does not stay missing:
// store.Open (without MustExist: drover submit, a worker or scheduler
// starting, the dashboard's process restarting) makes <root>/epoch again,
// empty, with EnsurePath; and an empty record reads as "no leader was ever
// elected", epoch 0, no error. So from the first such open until the next
// term, /api/v1/cluster and drover leader say the running leader's epoch
// is 0, with no epoch_error and no warning, where its placements carry
// epoch N: a wrong epoch, not an unknown one. With a leader in line, an
// empty record should be taken as unknown (or EnsurePath not make it).
func TestReview136EpochRecordDeletedThenReopenedIsNotEpochZero(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	leader, err := scheduler.New(scheduler.Config{ID: "s-lead", Store: st, Log: drovertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	drovertest.Run(t, "leader", leader.Run)
	drovertest.WaitFor(t, 20*time.Second, "a leader", func() bool { return leader.IsLeader() && leader.Epoch() > 0 })
	if err := st.Delete(st.Layout().Epoch(), -1); err != nil {
		t.Fatal(err)
	}
	drovertest.OpenStore(t, root) // as drover submit, or a worker starting, opens it
	hs := apiServer(t, st)
	r, err := http.Get(hs.URL + "/api/v1/cluster")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(r.Body)
	r.Body.Close()
	var v struct {
		Leader *client.LeaderInfo `json:"leader"`
	}
	if err := json.Unmarshal(body, &v); err != nil || r.StatusCode != 200 || v.Leader == nil || v.Leader.ID != "s-lead" {
		t.Fatalf("/api/v1/cluster: %d %s (%v)", r.StatusCode, body, err)
	}
	if v.Leader.EpochError == "" && v.Leader.Epoch != leader.Epoch() {
		t.Fatalf("/api/v1/cluster with the epoch record deleted mid-term, then made again (empty) by a store's open: leader s-lead at epoch %d, epoch_error %q, where the leader's term is epoch %d: want its epoch, or it unknown (epoch_error), as with the record missing",
			v.Leader.Epoch, v.Leader.EpochError, leader.Epoch())
	}
}
