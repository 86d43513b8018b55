package web

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/scheduler"
	"github.com/drover-sched/drover/store"
	"github.com/drover-sched/drover/worker"
	"github.com/oklog/ulid/v2"
)

func TestMain(m *testing.M) { drovertest.Main(m) }

// taskID is the task serve submits.
var taskID string

// served is what serve started.
type served struct {
	base  string // the web server's URL
	st    *store.Store
	sched *scheduler.Scheduler
}

// serve runs a scheduler, two workers and the web server.
func serve(t *testing.T) served {
	t.Helper()
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	s, err := scheduler.New(scheduler.Config{ID: "s1", Store: st, Log: drovertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 4)
	t.Cleanup(func() {
		cancel()
		for i := 0; i < 4; i++ {
			<-done
		}
	})
	go func() { _ = s.Run(ctx); done <- struct{}{} }()
	for _, id := range []string{"web-worker-a", "web-worker-b"} {
		w, err := worker.New(worker.Config{ID: id, Store: drovertest.OpenStore(t, root), Labels: map[string]string{"zone": "eu"}})
		if err != nil {
			t.Fatal(err)
		}
		go func() { _ = w.Run(ctx); done <- struct{}{} }()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = New(s, st).Serve(ctx, ln); done <- struct{}{} }()
	drovertest.WaitFor(t, 20*time.Second, "leader with two workers", func() bool {
		return s.IsLeader() && s.Stats().Workers == 2
	})
	taskID = ulid.Make().String()
	if _, err := st.Submit(ctx, []*store.Task{{ID: taskID, Cmd: []string{"echo", "from the dashboard test"}, SubmittedAt: time.Now().UTC()}}); err != nil {
		t.Fatal(err)
	}
	return served{base: "http://" + ln.Addr().String(), st: st, sched: s}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	r, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return r.StatusCode, string(b)
}

func TestEndpoints(t *testing.T) {
	base := serve(t).base
	if code, body := get(t, base+"/healthz"); code != 200 || body != "ok\n" {
		t.Fatalf("healthz %d %q", code, body)
	}
	if code, _ := get(t, base+"/readyz"); code != 200 {
		t.Fatalf("readyz %d", code)
	}
	code, metrics := get(t, base+"/metrics")
	for _, want := range []string{"drover_leader 1", "drover_workers 2", "drover_epoch 1", `drover_queue_depth{priority="high"}`, "drover_zookeeper_connected 1", "drover_deadletter_records 0"} {
		if code != 200 || !strings.Contains(metrics, want) {
			t.Fatalf("metrics lack %q (status %d)", want, code)
		}
	}
	var c clusterView
	_, body := get(t, base+"/api/v1/cluster")
	if err := json.Unmarshal([]byte(body), &c); err != nil || c.Leader == nil || c.Leader.ID != "s1" || len(c.Workers) != 2 {
		t.Fatalf("cluster %s (%v)", body, err)
	}
	// The dashboard reads these names: stats are untagged, served_by is filled.
	for _, want := range []string{`"served_by":"leader"`, `"Queued":{`, `"Leader":true`} {
		if !strings.Contains(body, want) {
			t.Fatalf("cluster lacks %s: %s", want, body)
		}
	}
	if code, _ := get(t, base+"/api/v1/tasks?state=bogus"); code != 400 {
		t.Fatalf("bad state filter: %d", code)
	}
	if code, _ := get(t, base+"/api/v1/tasks/01M87Q0000000000000000ABCD"); code != 404 {
		t.Fatalf("unknown task: %d", code)
	}
	drovertest.WaitFor(t, 10*time.Second, "the task in the API", func() bool {
		_, body := get(t, base+"/api/v1/tasks/"+taskID)
		return strings.Contains(body, `"state": "succeeded"`) || strings.Contains(body, `"state":"succeeded"`)
	})
	if r, err := http.Post(base+"/api/v1/tasks", "application/json", strings.NewReader("{}")); err != nil || r.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("the API must not accept writes: %v %v", r.StatusCode, err)
	}
}

// TestDashboardInChromium renders the dashboard in headless Chromium and checks
// the live workers are listed by id. A screenshot is kept for inspection.
func TestDashboardInChromium(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (make test installs it with apt-get)")
	}
	srv := serve(t)
	base := srv.base
	// A high-priority task no worker can take stays queued, for the counts.
	stuck := &store.Task{ID: ulid.Make().String(), Cmd: []string{"true"}, On: map[string]string{"zone": "nowhere"},
		Priority: store.PriorityHigh, SubmittedAt: time.Now().UTC()}
	if _, err := srv.st.Submit(context.Background(), []*store.Task{stuck}); err != nil {
		t.Fatal(err)
	}
	drovertest.WaitFor(t, 10*time.Second, "the queued task counted", func() bool { return srv.sched.Stats().Queued["high"] == 1 })
	profile := t.TempDir()
	flags := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + profile, "--virtual-time-budget=8000"}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, chromium, append(flags, "--dump-dom", base+"/")...).Output()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	dom := string(out)
	for _, want := range []string{"web-worker-a", "web-worker-b", "leader <b>s1</b>", "queued high/normal/low: 1/0/0", "served by the leader"} {
		if !strings.Contains(dom, want) {
			t.Fatalf("rendered dashboard lacks %q:\n%s", want, dom)
		}
	}
	shot := filepath.Join(os.TempDir(), "drover-dashboard-test.png")
	if err := exec.CommandContext(ctx, chromium, append(flags, "--window-size=1200,900", "--screenshot="+shot, base+"/")...).Run(); err == nil {
		t.Logf("dashboard screenshot: %s", shot)
	}
}
