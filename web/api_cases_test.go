package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/client"
	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/scheduler"
	"github.com/drover-sched/drover/store"
	"github.com/oklog/ulid/v2"
)

// getWhenCutMidRead gets url while the proxy freezes at the first request
// carrying marker, then drops the connection under that request (the
// ZooKeeper server a read was sent to dies, or a partition ends the
// connection), and returns the answer. The store reconnects at once.
func getWhenCutMidRead(t *testing.T, px *drovertest.Proxy, st *store.Store, url, marker string) (int, string) {
	t.Helper()
	drovertest.WaitFor(t, 20*time.Second, "the store connected", func() bool { ok, _ := st.Connected(); return ok })
	px.FreezeAt([]byte(marker))
	type answer struct {
		code int
		body string
	}
	got := make(chan answer, 1)
	go func() {
		r, err := http.Get(url)
		if err != nil {
			got <- answer{0, err.Error()}
			return
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		got <- answer{r.StatusCode, string(b)}
	}()
	drovertest.WaitFor(t, 10*time.Second, "the read held by the proxy", px.Frozen)
	px.Cut(true)
	px.Cut(false)
	a := <-got
	return a.code, a.body
}

// A ZooKeeper connection lost under an API read is an outage, as a store not
// connected when the request came is: 503, which a client or load balancer
// retries. It was a 500 (store.ErrConnection was not mapped in writeJSON),
// read as a bug in Drover. (Found by review.)
func TestAPIConnectionLostUnderAReadIs503(t *testing.T) {
	px := drovertest.StartProxy(t, drovertest.Addr())
	st := drovertest.OpenStoreAt(t, px.Addr(), drovertest.NewRoot())
	res, err := client.New(st).Submit(context.Background(), []client.TaskSpec{{Cmd: []string{"true"}}})
	if err != nil {
		t.Fatal(err)
	}
	hs := apiServer(t, st)
	lay := st.Layout()
	for _, c := range []struct{ path, marker string }{
		{"/api/v1/tasks/" + res[0].ID, res[0].ID},
		{"/api/v1/tasks", lay.Queue()},
		{"/api/v1/schedules", path.Dir(lay.Schedule("any"))},
		{"/api/v1/cluster", lay.Workers()},
	} {
		if code, body := getWhenCutMidRead(t, px, st, hs.URL+c.path, c.marker); code != http.StatusServiceUnavailable {
			t.Errorf("%s with the connection lost under its read: %d %s, want 503", c.path, code, body)
		}
	}
}

// The cluster endpoint ignored any error of its leader read: a connection
// lost under it (or any read error) gave 200 with "leader": null, and the
// dashboard said "no leader" of a cluster whose leader runs. Only
// client.ErrNoLeader means no leader now; another error is the request's.
// (Found by review.)
func TestClusterDoesNotSayNoLeaderWhenItsLeaderReadFails(t *testing.T) {
	root := drovertest.NewRoot()
	lst := drovertest.OpenStore(t, root) // the leader's own connection, not cut
	leader, err := scheduler.New(scheduler.Config{ID: "s-lead", Store: lst, Log: drovertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	drovertest.Run(t, "leader", leader.Run)
	drovertest.WaitFor(t, 20*time.Second, "a leader", leader.IsLeader)
	px := drovertest.StartProxy(t, drovertest.Addr())
	st := drovertest.OpenStoreAt(t, px.Addr(), root)
	hs := apiServer(t, st)
	// The workers' read that follows may fail too, or find the store
	// reconnected: a few cuts, so that one gets that far.
	for range 5 {
		code, body := getWhenCutMidRead(t, px, st, hs.URL+"/api/v1/cluster", st.Layout().Election())
		var v clusterView
		if err := json.Unmarshal([]byte(body), &v); code == http.StatusOK && (err != nil || v.Leader == nil) {
			t.Fatalf("cluster, its leader read cut while s-lead leads: %d %s (%v); want the leader or an error", code, body, err)
		}
	}
}

// histogramBuckets reads a histogram's cumulative bucket counts by le from a
// scrape.
func histogramBuckets(t *testing.T, scrape, name string) map[string]uint64 {
	t.Helper()
	out := map[string]uint64{}
	re := regexp.MustCompile(`(?m)^` + name + `_bucket\{le="([^"]+)"\} (\d+)$`)
	for _, m := range re.FindAllStringSubmatch(scrape, -1) {
		n, err := strconv.ParseUint(m[2], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		out[m[1]] = n
	}
	return out
}

// drover_placement_latency_seconds was "time from submit (or retry due
// time) to placement". A task queued again by drover retry (and, the same
// way, an attempt re-queued from a lost worker) has no not_before, so the
// leader counted from its first submit: a task submitted an hour ago and
// retried now was observed as an hour's wait, though it waited milliseconds.
// Every retry or worker loss put a run's whole length into the histogram's
// tail. (Found by review.)
func TestPlacementLatencyOfARetryCountsFromTheRetry(t *testing.T) {
	srv := serve(t)
	ctx := context.Background()
	c := client.New(srv.st)
	// Its submitted_at an hour back, as a client's clock an hour behind
	// would write it: its first placement counts from its queue item's
	// creation (since 2026-12-06; it counted from submitted_at, an hour),
	// and so must the retry's, not from submitted_at. It fails, so drover
	// retry may queue it again.
	id := ulid.Make().String()
	if _, err := srv.st.Submit(ctx, []*store.Task{{ID: id, Cmd: []string{"false"}, SubmittedAt: time.Now().Add(-time.Hour).UTC()}}); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	for _, tid := range []string{taskID, id} {
		if _, err := c.Wait(wctx, tid); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Retry(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Wait(wctx, id); err != nil { // waits for the retry's end
		t.Fatal(err)
	}
	drovertest.WaitFor(t, 10*time.Second, "three placements", func() bool { return srv.sched.Stats().Placed == 3 })
	_, scrape := get(t, srv.base+"/metrics")
	b := histogramBuckets(t, scrape, "drover_placement_latency_seconds")
	// serve's task, id's first placement and its retry all waited well
	// under a minute.
	if late := b["+Inf"] - b["60"]; b["+Inf"] != 3 || late != 0 {
		t.Fatalf("placements over a minute late: %d of %d, want none of 3 (counted from submitted_at, an hour back):\n%v", late, b["+Inf"], b)
	}
}

// A standby keeps no queue and no view of the workers, yet its /metrics
// said drover_queue_depth 0 and drover_workers 0: as though nothing were
// queued and no worker were left. An alert on drover_workers < 1, or a
// graph of the queue per instance, fired or read zero for every standby,
// and after a failover the new leader's figure joined a series of zeros.
// The dashboard had learnt this (TestDashboardOnAStandby); the metrics had
// not. A standby now leaves these gauges out. (Found by review.)
func TestStandbyMetricsDoNotReportTheLeadersGaugesAsZero(t *testing.T) {
	srv := serve(t)
	stuck := &store.Task{ID: ulid.Make().String(), Cmd: []string{"true"}, On: map[string]string{"zone": "nowhere"},
		Priority: store.PriorityHigh, SubmittedAt: time.Now().UTC()}
	if _, err := srv.st.Submit(context.Background(), []*store.Task{stuck}); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.st.CordonWorker("w9", store.Cordon{}); err != nil {
		t.Fatal(err)
	}
	drovertest.WaitFor(t, 10*time.Second, "the queued task and the cordon counted", func() bool {
		st := srv.sched.Stats()
		return st.Queued["high"] == 1 && st.Cordons == 1
	})
	hs := serveStandby(t, srv)
	_, scrape := get(t, hs.URL+"/metrics")
	if !strings.Contains(scrape, "drover_leader 0\n") {
		t.Fatalf("s2 is no standby:\n%s", scrape)
	}
	for _, lie := range []string{"drover_workers 0\n", `drover_queue_depth{priority="high"} 0` + "\n", "drover_cordons 0\n", "\ndrover_queue_head_wait_seconds ", "\ndrover_queue_delayed "} {
		if strings.Contains(scrape, lie) {
			t.Errorf("a standby reports %q while the leader sees 2 workers, 1 high task queued and 1 cordon", strings.TrimSpace(lie))
		}
	}
}

// The API's task was not the CLI's `-o json` task, which its doc calls the
// stable JSON form: "attempts" was missing, and "worker" and "exit_code"
// (always present in the CLI's, null until finished) were left out of a
// queued task. A script moved from `drover status -o json` to
// /api/v1/tasks/ID read no attempts and no exit code key. Both now use
// client.TaskJSON. (Found by review.)
func TestAPITaskHasTheCLIsJSONKeys(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	res, err := client.New(st).Submit(context.Background(), []client.TaskSpec{{Cmd: []string{"true"}}})
	if err != nil {
		t.Fatal(err)
	}
	hs := apiServer(t, st) // no scheduler runs: the task stays queued
	for _, path := range []string{"/api/v1/tasks/" + res[0].ID, "/api/v1/tasks"} {
		_, body := get(t, hs.URL+path)
		var task map[string]any
		if strings.HasPrefix(body, "[") {
			var list []map[string]any
			if err := json.Unmarshal([]byte(body), &list); err != nil || len(list) != 1 {
				t.Fatalf("%s: %s (%v)", path, body, err)
			}
			task = list[0]
		} else if err := json.Unmarshal([]byte(body), &task); err != nil {
			t.Fatalf("%s: %s (%v)", path, body, err)
		}
		for _, key := range []string{"attempts", "worker", "exit_code"} {
			if _, ok := task[key]; !ok {
				t.Errorf("%s: no %q key, which drover status -o json always has:\n%s", path, key, body)
			}
		}
	}
}

// A read under way when the scheduler shuts down (its store closed) is an
// outage to the caller, as a connection lost is: it answered 500, as if
// Drover were at fault. (Found by review.)
func TestAPIReadCutByAClosedStoreIs503(t *testing.T) {
	rec := httptest.NewRecorder()
	writeJSON(rec, nil, fmt.Errorf("read: %w", store.ErrClosed))
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("a read cut by a closed store: %d (Retry-After %q), want 503 with Retry-After", rec.Code, rec.Header().Get("Retry-After"))
	}
}
