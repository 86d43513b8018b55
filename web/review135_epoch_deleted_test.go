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

// TestReview135ClusterAnswersWithTheEpochRecordDeletedMidTerm: the epoch
// record deleted by hand while a leader leads is made again only by the
// next term's BumpEpoch (which FAILURES and BumpEpoch handle). Until then
// client.Leader, which takes a malformed or newer record for no error
// (EpochError), returns the read's ErrNoNode: /api/v1/cluster answers 500
// ("read the leader: ...: no node"), so the dashboard shows nothing of a
// cluster that runs, and `drover leader` fails, for the whole term (days,
// for a steady leader). The leader is the election's, not the record's.
func TestReview135ClusterAnswersWithTheEpochRecordDeletedMidTerm(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	leader, err := scheduler.New(scheduler.Config{ID: "s-lead", Store: st, Log: drovertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	drovertest.Run(t, "leader", leader.Run)
	drovertest.WaitFor(t, 20*time.Second, "a leader", leader.IsLeader)
	if err := st.Delete(st.Layout().Epoch(), -1); err != nil {
		t.Fatal(err)
	}
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
		t.Fatalf("/api/v1/cluster with the epoch record deleted mid-term: %d %s (%v): want 200 naming leader s-lead (its epoch unknown, as for a malformed record)",
			r.StatusCode, body, err)
	}
	if _, err := client.New(st).Leader(); err != nil {
		t.Fatalf("client.Leader (drover leader) with the epoch record deleted mid-term: %v", err)
	}
}
