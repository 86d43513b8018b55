package web

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/drover-sched/drover/client"
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
	s, err := scheduler.New(scheduler.Config{ID: "s1", Version: "v1.2.3", Store: st, Log: drovertest.Logger(t)})
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
		w, err := worker.New(worker.Config{ID: id, Commands: true, Store: drovertest.OpenStore(t, root), Labels: map[string]string{"zone": "eu"}})
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

// apiServer serves the API of a scheduler (not run) over st, until the
// test ends.
func apiServer(t *testing.T, st *store.Store) *httptest.Server {
	t.Helper()
	return apiServerReading(t, st, apiReadTimeout)
}

// apiServerReading is apiServer with its requests' reads bounded by
// timeout: a listing of tens of MB under -race on a loaded host outlasts
// the default 10 s, and was answered 503.
func apiServerReading(t *testing.T, st *store.Store, timeout time.Duration) *httptest.Server {
	t.Helper()
	s, err := scheduler.New(scheduler.Config{ID: "s1", Store: st, Log: drovertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	srv := New(s, st)
	srv.readTimeout = timeout
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return hs
}

// getList gets url, which must answer 200 with JSON, decodes it into v, and
// returns the response for its headers.
func getList(t *testing.T, url string, v any) *http.Response {
	t.Helper()
	r, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	if err := json.NewDecoder(r.Body).Decode(v); err != nil || r.StatusCode != 200 {
		t.Fatalf("%s: %d (%v)", url, r.StatusCode, err)
	}
	return r
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
	for _, want := range []string{"drover_leader 1", "drover_workers 2", "drover_epoch 1", `drover_queue_depth{priority="high"}`, "drover_zookeeper_connected 1", "drover_queue_head_wait_seconds ", "drover_queue_delayed 0", "drover_deadletter_records 0", "drover_deadletter_dropped_total 0", `drover_build_info{version="v1.2.3"} 1`} {
		if code != 200 || !strings.Contains(metrics, want) {
			t.Fatalf("metrics lack %q (status %d)", want, code)
		}
	}
	var c clusterView
	_, body := get(t, base+"/api/v1/cluster")
	if err := json.Unmarshal([]byte(body), &c); err != nil || c.Leader == nil || c.Leader.ID != "s1" || c.Leader.Version != "v1.2.3" || len(c.Workers) != 2 {
		t.Fatalf("cluster %s (%v)", body, err)
	}
	// The dashboard reads these names: stats are untagged, served_by is filled.
	for _, want := range []string{`"served_by":"leader"`, `"served_by_id":"s1"`, `"queued":{`, `"leader":true`} {
		if !strings.Contains(body, want) {
			t.Fatalf("cluster lacks %s: %s", want, body)
		}
	}
	if code, _ := get(t, base+"/api/v1/tasks?state=bogus"); code != 400 {
		t.Fatalf("bad state filter: %d", code)
	}
	// A query that does not parse, an empty limit or one given twice was
	// read as the default (an empty state, as no filter); an error body is
	// one line.
	for _, q := range []string{"limit=%zz", "limit=", "limit=1&limit=2", "state=queued&state=running", "state="} {
		// (The old body had its newline escaped inside the JSON string.)
		if code, body := get(t, base+"/api/v1/tasks?"+q); code != 400 || strings.Contains(body, `\n`) {
			t.Errorf("%s: %d %q, want 400 and a one-line error", q, code, body)
		}
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
	// A path the API does not have answers in JSON, as its routes do, not
	// with the file server's text page.
	for _, p := range []string{"/api/v1/nothing", "/api/v1/tasks/" + taskID + "/more", "/api/v1/", "/api", "/api/", "/api/v2/tasks"} {
		code, body := get(t, base+p)
		var e struct{ Error string }
		if code != http.StatusNotFound || json.Unmarshal([]byte(body), &e) != nil || !strings.Contains(e.Error, "/api/v1/tasks/ID") {
			t.Errorf("%s: %d %q, want 404 and a JSON error naming the API's paths", p, code, body)
		}
	}
	// The page and what it reads say what they are, are not framed, and run
	// no script but the dashboard's own (found by security review).
	for _, p := range []string{"/", "/app.js", "/api/v1/tasks/" + taskID} {
		r, err := http.Get(base + p)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Content-Security-Policy": "default-src 'self'"} {
			if got := r.Header.Get(h); !strings.HasPrefix(got, want) {
				t.Errorf("%s: %s %q, want %q", p, h, got, want)
			}
		}
	}
}

// A task whose record does not decode is a 422 with a JSON error saying so,
// and the record is moved to deadletter as any malformed data found is. It
// was a 500, and the record stayed where it was.
func TestMalformedTaskRecord(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	hs := apiServer(t, st)
	lay := st.Layout()
	id := ulid.Make().String()
	if err := st.EnsureBuckets(id); err != nil {
		t.Fatal(err)
	}
	if err := st.Create(lay.Result(id), []byte("{not a task")); err != nil {
		t.Fatal(err)
	}
	r, err := http.Get(hs.URL + "/api/v1/tasks/" + id)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	var body map[string]string
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || r.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(body["error"], "malformed") || !strings.Contains(body["error"], "moved to deadletter") {
		t.Fatalf("GET a malformed task: %d %v (%v)", r.StatusCode, body, err)
	}
	if ok, _, err := st.Exists(lay.Result(id)); err != nil || ok {
		t.Fatalf("the malformed record is still there (%v)", err)
	}
	dl, _, err := client.New(st).Deadletters(context.Background(), 0)
	if err != nil || len(dl) != 1 || dl[0].From != lay.Result(id) {
		t.Fatalf("deadletter: %+v (%v)", dl, err)
	}
	// Moved, the task is unknown.
	if code, _ := get(t, hs.URL+"/api/v1/tasks/"+id); code != 404 {
		t.Fatalf("GET the task moved aside: %d", code)
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
	for _, want := range []string{"web-worker-a", "web-worker-b", "leader <b>s1</b>", "epoch 1)", "queued high/normal/low: 1/0/0", "served by the leader (s1)"} {
		if !strings.Contains(dom, want) {
			t.Fatalf("rendered dashboard lacks %q:\n%s", want, dom)
		}
	}
	shot := filepath.Join(os.TempDir(), "drover-dashboard-test.png")
	if err := exec.CommandContext(ctx, chromium, append(flags, "--window-size=1200,900", "--screenshot="+shot, base+"/")...).Run(); err == nil {
		t.Logf("dashboard screenshot: %s", shot)
	}
}

// TestDashboardOnAStandby renders a standby's dashboard: it shows the
// cluster (leader, standbys) but no queue counts, which only the leader
// keeps: a standby's read 0/0/0, as though nothing were queued. (Found by
// review.)
func TestDashboardOnAStandby(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (make test installs it with apt-get)")
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/cluster", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `{"leader":{"id":"s1","host":"h","pid":7,"epoch":3,"standbys":[{"id":"s2","host":"h","pid":8}]},`+
			`"served_by":"standby","served_by_id":"s2","workers":[],"stats":{"leader":false,"queued":{}}}`)
	})
	mux.HandleFunc("GET /api/v1/", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "[]") })
	dom := renderDashboard(t, chromium, mux)
	for _, want := range []string{"leader <b>s1</b>", "standbys: s2", "queue counts: on the leader's dashboard", "served by a standby (s2)"} {
		if !strings.Contains(dom, want) {
			t.Fatalf("rendered dashboard lacks %q:\n%s", want, dom)
		}
	}
	if strings.Contains(dom, "queued high/normal/low") {
		t.Fatalf("a standby's dashboard shows queue counts:\n%s", dom)
	}
}

// TestDashboardMarksStaleTables serves an API that answers once, then 503s:
// the page keeps the tables it had, but marks them stale (greyed) and says
// from when, instead of leaving them to pass for live beside an error.
func TestDashboardMarksStaleTables(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (make test installs it with apt-get)")
	}
	var calls atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/cluster", func(w http.ResponseWriter, _ *http.Request) {
		if calls.Add(1) > 1 {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, `{"error":"ZooKeeper unavailable"}`)
			return
		}
		_, _ = io.WriteString(w, `{"leader":{"id":"s1","host":"h","pid":7,"epoch":3},"served_by":"leader","served_by_id":"s1",`+
			`"workers":[{"id":"w-gone","host":"h","capacity":2}],"stats":{"leader":true,"queued":{}}}`)
	})
	mux.HandleFunc("GET /api/v1/", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "[]") })
	dom := renderDashboard(t, chromium, mux)
	if calls.Load() < 2 {
		t.Fatalf("the page asked for the cluster %d times; want a second refresh", calls.Load())
	}
	for _, want := range []string{`<body class="stale">`, "error: api/v1/cluster: 503 ZooKeeper unavailable", "the tables are from", "w-gone"} {
		if !strings.Contains(dom, want) {
			t.Fatalf("rendered dashboard lacks %q:\n%s", want, dom)
		}
	}
}

// renderDashboard serves the page with mux's API and returns its DOM as
// headless Chromium renders it after 8 s of virtual time (four refreshes).
func renderDashboard(t *testing.T, chromium string, mux *http.ServeMux) string {
	t.Helper()
	return renderPage(t, chromium, mux, "/")
}

// renderPage renders the dashboard's page at path (its assets served by
// mux, which answers the API) in headless Chromium, and returns its DOM.
func renderPage(t *testing.T, chromium string, mux *http.ServeMux, path string) string {
	t.Helper()
	assets, _ := fs.Sub(static, "static")
	mux.Handle("GET /", http.FileServerFS(assets))
	hs := httptest.NewServer(mux)
	defer hs.Close()
	return dumpDOM(t, chromium, hs.URL+path)
}

// dumpDOM loads url in headless Chromium and returns its DOM once the
// page's scripts have had 8 s of virtual time.
func dumpDOM(t *testing.T, chromium, url string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+t.TempDir(), "--virtual-time-budget=8000", "--dump-dom", url).Output()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	return string(out)
}

// TestDisconnectedAnswersPromptly cuts the store off ZooKeeper: /metrics still
// answers at once (without the deadletter count) and the API says 503 instead
// of waiting for the reconnection.
func TestDisconnectedAnswersPromptly(t *testing.T) {
	px := drovertest.StartProxy(t, drovertest.Addr())
	st := drovertest.OpenStoreAt(t, px.Addr(), drovertest.NewRoot())
	hs := apiServer(t, st)
	if _, body := get(t, hs.URL+"/metrics"); !strings.Contains(body, "drover_deadletter_records 0") {
		t.Fatalf("connected metrics lack the deadletter count:\n%s", body)
	}
	px.Cut(true)
	drovertest.WaitFor(t, 10*time.Second, "the store to see the cut", func() bool { ok, _ := st.Connected(); return !ok })
	hc := &http.Client{Timeout: 5 * time.Second}
	for _, path := range []string{"/metrics", "/api/v1/cluster", "/api/v1/tasks", "/api/v1/tasks/" + ulid.Make().String(), "/api/v1/schedules"} {
		start := time.Now()
		r, err := hc.Get(hs.URL + path)
		if err != nil {
			t.Fatalf("%s while disconnected: %v", path, err)
		}
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if d := time.Since(start); d > time.Second {
			t.Fatalf("%s took %v while disconnected", path, d)
		}
		body := string(b)
		switch {
		case path == "/metrics":
			if r.StatusCode != 200 || !strings.Contains(body, "drover_zookeeper_connected 0") || strings.Contains(body, "drover_deadletter_records") {
				t.Fatalf("metrics while disconnected: %d\n%s", r.StatusCode, body)
			}
		case r.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "not connected"):
			t.Fatalf("%s while disconnected: %d %s", path, r.StatusCode, body)
		}
	}
}

// TestReadBounded checks an API read that does not return gives up at the
// read timeout or when the request ends, and that abandoned reads hold their
// tokens until they finish, so they cannot pile up.
func TestReadBounded(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	s, err := scheduler.New(scheduler.Config{ID: "s1", Store: st, Log: drovertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	srv := New(s, st)
	srv.readTimeout = 100 * time.Millisecond
	stuck := make(chan struct{})
	block := func(context.Context) error { <-stuck; return nil }
	start := time.Now()
	if err := srv.read(context.Background(), block); !errors.Is(err, errUnavailable) || time.Since(start) > time.Second {
		t.Fatalf("a stuck read: %v after %v", err, time.Since(start))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := srv.read(ctx, block); !errors.Is(err, errUnavailable) || !errors.Is(err, context.Canceled) {
		t.Fatalf("a read for an ended request: %v", err)
	}
	for len(srv.reads) < maxReads {
		_ = srv.read(context.Background(), block)
	}
	ran := false
	if err := srv.read(context.Background(), func(context.Context) error { ran = true; return nil }); !errors.Is(err, errUnavailable) || ran {
		t.Fatalf("a read past %d stuck ones: %v (ran %v)", maxReads, err, ran)
	}
	close(stuck)
	drovertest.WaitFor(t, 5*time.Second, "the stuck reads to return their tokens", func() bool { return len(srv.reads) == 0 })
	if err := srv.read(context.Background(), func(context.Context) error { ran = true; return nil }); err != nil || !ran {
		t.Fatalf("a read once the stuck ones ended: %v (ran %v)", err, ran)
	}
}

// TestDashboardPollsOneAtATime serves the page against an API whose cluster
// endpoint takes 3 s and checks Chromium never has two of those requests
// open: the next refresh starts when one ends, not on a fixed interval.
func TestDashboardPollsOneAtATime(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (make test installs it with apt-get)")
	}
	var inFlight, most, total atomic.Int32
	second := make(chan struct{}) // closed when the second cluster request comes
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/cluster", func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		if total.Add(1) == 2 {
			close(second)
		}
		select {
		case <-time.After(3 * time.Second):
		case <-r.Context().Done():
		}
		_, _ = io.WriteString(w, `{"leader":null,"workers":[],"stats":{}}`)
	})
	mux.HandleFunc("GET /api/v1/", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "[]") })
	assets, _ := fs.Sub(static, "static")
	mux.Handle("GET /", http.FileServerFS(assets))
	hs := httptest.NewServer(mux)
	defer hs.Close()
	// Virtual time stands still while a fetch is open, so this runs in real
	// time: Chromium keeps the page open until it is stopped, once the second
	// refresh has begun (5 s after the first when it waits, 2 s when not).
	profile, err := os.MkdirTemp("", "drover-poll-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // Chromium's helpers may write there a moment after it exits
		for end := time.Now().Add(10 * time.Second); os.RemoveAll(profile) != nil && time.Now().Before(end); {
			time.Sleep(100 * time.Millisecond)
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+profile, "--remote-debugging-port=0", hs.URL+"/")
	// Its own process group, stopped as a whole: helpers included.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-second:
	case <-time.After(60 * time.Second):
	}
	cancel()
	_ = cmd.Wait()
	if total.Load() < 2 {
		t.Fatalf("the page asked for the cluster %d times in 60 s; want a second refresh", total.Load())
	}
	if most.Load() != 1 {
		t.Fatalf("%d cluster requests were open at once; want 1", most.Load())
	}
}

// TestTasksScanBounded fills the results with more succeeded tasks than one
// listing may read: a filter nothing matches stops at the budget and says so,
// and a listing that finds its tasks early is not truncated.
func TestTasksScanBounded(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	const n = minScan + 150
	now := time.Now().UTC()
	for done := 0; done < n; {
		var batch []*store.Task
		for ; done < n && len(batch) < store.MaxBatch; done++ {
			zero := 0
			tk := &store.Task{ID: store.NewTaskID(now), Cmd: []string{"true"}, SubmittedAt: now, State: store.StateSucceeded,
				Attempt: 1, ExitCode: &zero, FinishedAt: now}
			batch = append(batch, tk)
		}
		finish(t, st, batch...)
	}
	hs := apiServer(t, st)
	for _, c := range []struct {
		query     string
		tasks     int
		scanned   string
		truncated bool
	}{
		{"state=dead&limit=1", 0, strconv.Itoa(minScan), true},
		{"state=dead&limit=200", 0, strconv.Itoa(n), false}, // a budget of 2000 reads them all
		{"state=succeeded&limit=5", 5, "", false},
	} {
		var got []store.Task
		r := getList(t, hs.URL+"/api/v1/tasks?"+c.query, &got)
		if len(got) != c.tasks {
			t.Fatalf("%s: %d tasks; want %d", c.query, len(got), c.tasks)
		}
		if (r.Header.Get("X-Drover-Truncated") == "true") != c.truncated ||
			(c.scanned != "" && r.Header.Get("X-Drover-Scanned") != c.scanned) {
			t.Fatalf("%s: truncated %q scanned %q; want %v %s", c.query, r.Header.Get("X-Drover-Truncated"),
				r.Header.Get("X-Drover-Scanned"), c.truncated, c.scanned)
		}
	}
	// A listing whose request has ended reads nothing more.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := client.New(st).ListTasks(ctx, client.ListOptions{State: store.StateDead, Limit: 1, Budget: scanBudget(1)})
	if !errors.Is(err, context.Canceled) || res.Scanned != 0 {
		t.Fatalf("a listing for an ended request: %v after %d records", err, res.Scanned)
	}
}

// finish writes the results of tasks, finished, in one transaction.
func finish(t *testing.T, st *store.Store, tasks ...*store.Task) {
	t.Helper()
	ids := make([]string, len(tasks))
	for i, tk := range tasks {
		ids[i] = tk.ID
	}
	if err := st.CommitCreatingBuckets(ids, func(txn *store.Txn) error {
		for _, tk := range tasks {
			if err := txn.Finish(tk); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// A listing leaves out each task's output (stdout, stderr and its history's
// tails), which tasks/ID gives: it held each task's whole output, up to
// 64 KiB of each stream plus 2 KiB of each of 10 attempts, so a page of
// 1,000 was over 100 MB in the leader's memory, and 8 of them at once.
// (Found by review.)
func TestTaskListingLeavesOutOutput(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	now := time.Now().UTC()
	one := 1
	out, errOut := strings.Repeat("o", store.OutputTail), strings.Repeat("e", store.OutputTail)
	tail, errTail := strings.Repeat("p", store.AttemptTail), strings.Repeat("f", store.AttemptTail)
	tk := &store.Task{ID: store.NewTaskID(now), Cmd: []string{"false"}, Retries: 1, SubmittedAt: now, State: store.StateFailed,
		Attempt: 2, ExitCode: &one, Stdout: out, Stderr: errOut, FinishedAt: now,
		History: []store.Attempt{{N: 1, Worker: "w1", FinishedAt: now, ExitCode: 1, Stdout: tail, Stderr: errTail}}}
	finish(t, st, tk)
	hs := apiServer(t, st)
	var list []map[string]any
	getList(t, hs.URL+"/api/v1/tasks", &list)
	if len(list) != 1 {
		t.Fatalf("%d tasks listed, want 1", len(list))
	}
	b, _ := json.Marshal(list[0])
	for _, o := range []string{out[:100], errOut[:100], tail[:100], errTail[:100]} {
		if strings.Contains(string(b), o) {
			t.Fatalf("the listed task carries output (%.10s...):\n%.300s", o, b)
		}
	}
	if h, _ := list[0]["history"].([]any); len(h) != 1 {
		t.Fatalf("the listed task lost its history: %.300s", b)
	}
	var got store.Task
	getList(t, hs.URL+"/api/v1/tasks/"+tk.ID, &got)
	if got.Stdout != out || got.Stderr != errOut || len(got.History) != 1 || got.History[0].Stdout != tail || got.History[0].Stderr != errTail {
		t.Fatalf("tasks/ID lacks its output: %d, %d bytes, history of %d", len(got.Stdout), len(got.Stderr), len(got.History))
	}
}

// A full page known to be the newest matching tasks (client.Listing.Exact)
// is not truncated, though the budget ran out after it: no matching task
// is missing from it, as drover ls says. It was marked truncated. Here the
// queue holds the 2 newest tasks, and the results under them more junk
// than a listing may read.
func TestTasksFullPageOfTheNewestIsNotTruncated(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	lay := st.Layout()
	old := time.Now().Add(-time.Hour)
	for done := 0; done < minScan; {
		var ids []string
		for ; done < minScan && len(ids) < store.MaxBatch; done++ {
			ids = append(ids, store.NewTaskID(old))
		}
		if err := st.CommitCreatingBuckets(ids, func(txn *store.Txn) error {
			for _, id := range ids {
				txn.Create(lay.Result(id), []byte("{junk"))
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now().UTC()
	var queued []*store.Task
	for range 2 {
		queued = append(queued, &store.Task{ID: store.NewTaskID(now), Cmd: []string{"true"}, SubmittedAt: now, Attempt: 1, State: store.StateQueued})
	}
	if _, err := st.Submit(context.Background(), queued); err != nil {
		t.Fatal(err)
	}
	hs := apiServer(t, st)
	for _, c := range []struct {
		query     string
		truncated bool
	}{
		{"limit=2", false}, // the newest 2: none missing
		{"limit=3", true},  // a third may be among the records unread
	} {
		var got []store.Task
		r := getList(t, hs.URL+"/api/v1/tasks?"+c.query, &got)
		if len(got) != 2 || got[0].ID != queued[1].ID || got[1].ID != queued[0].ID {
			t.Fatalf("%s: %d tasks; want the 2 queued", c.query, len(got))
		}
		if r.Header.Get("X-Drover-Scanned") != strconv.Itoa(minScan) {
			t.Fatalf("%s: scanned %q; want the whole budget, %d", c.query, r.Header.Get("X-Drover-Scanned"), minScan)
		}
		if (r.Header.Get("X-Drover-Truncated") == "true") != c.truncated {
			t.Fatalf("%s: truncated %q; want %v", c.query, r.Header.Get("X-Drover-Truncated"), c.truncated)
		}
	}
}

// TestAPIHidesSecrets checks tasks and schedule templates keep their env names
// but not the values, and give payloads by length, in every API answer.
func TestAPIHidesSecrets(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	const secret, payload = "hunter2-db-password", "secret-payload-bytes"
	c := client.New(st)
	res, err := c.Submit(context.Background(), []client.TaskSpec{
		{Cmd: []string{"true"}, Env: map[string]string{"DB_PASSWORD": secret}},
		{Handler: "resize", Payload: []byte(payload), Env: map[string]string{"API_TOKEN": secret}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddSchedule(context.Background(), client.ScheduleSpec{Name: "nightly", Cron: "0 3 * * *",
		Task: client.TaskSpec{Handler: "report", Payload: []byte(payload), Env: map[string]string{"DB_PASSWORD": secret}}}); err != nil {
		t.Fatal(err)
	}
	hs := apiServer(t, st)
	encoded := base64.StdEncoding.EncodeToString([]byte(payload))
	for _, c := range []struct{ path, want string }{
		{"/api/v1/tasks/" + res[0].ID, `"env":{"DB_PASSWORD":"***"}`},
		{"/api/v1/tasks/" + res[1].ID, `"payload_bytes":20`},
		{"/api/v1/tasks?limit=10", `"env":{"API_TOKEN":"***"}`},
		{"/api/v1/tasks?limit=10", `"payload_bytes":20`}, // the listing lets payloads go as it reads
		{"/api/v1/schedules", `"payload_bytes":20`},
		{"/api/v1/schedules", `"env":{"DB_PASSWORD":"***"}`},
		{"/api/v1/schedules/nightly", `"payload_bytes":20`},
		{"/api/v1/schedules/nightly", `"env":{"DB_PASSWORD":"***"}`},
	} {
		code, body := get(t, hs.URL+c.path)
		if code != 200 || !strings.Contains(body, c.want) {
			t.Fatalf("%s: %d, want %s in\n%s", c.path, code, c.want, body)
		}
		for _, leak := range []string{secret, payload, encoded, `"payload":`} {
			if strings.Contains(body, leak) {
				t.Fatalf("%s shows %s:\n%s", c.path, leak, body)
			}
		}
	}
	// The records themselves are untouched.
	if got, err := c.Status(context.Background(), res[1].ID); err != nil || string(got.Payload) != payload || got.Env["API_TOKEN"] != secret {
		t.Fatalf("the stored task changed: %+v %v", got, err)
	}
}

// The listings say in X-Drover-Skipped how many records they left out as
// unreadable, as the CLI says on stderr; without any, no header.
func TestListingsSaySkippedRecords(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	c := client.New(st)
	ctx := context.Background()
	res, err := c.Submit(ctx, []client.TaskSpec{{Cmd: []string{"true"}}, {Cmd: []string{"true"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddSchedule(context.Background(), client.ScheduleSpec{Name: "nightly", Cron: "@daily", Task: client.TaskSpec{Cmd: []string{"true"}}}); err != nil {
		t.Fatal(err)
	}
	reg, err := store.Encode(&store.WorkerInfo{ID: "w1", Host: "h", PID: 42, Capacity: 2, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	lay := st.Layout()
	if _, _, err := st.CreateEphemeral(ctx, lay.Worker("w1"), reg); err != nil {
		t.Fatal(err)
	}
	hs := apiServer(t, st) // its scheduler does not run: nothing is moved aside
	endpoints := []string{"/api/v1/tasks", "/api/v1/schedules", "/api/v1/cluster"}
	for _, e := range endpoints {
		var v any
		if r := getList(t, hs.URL+e, &v); r.Header.Get("X-Drover-Skipped") != "" {
			t.Fatalf("%s with no bad record: X-Drover-Skipped %q", e, r.Header.Get("X-Drover-Skipped"))
		}
	}
	junk := []byte("\x00 not a drover record")
	if _, err := st.Set(lay.QueueItem(res[0].ID), junk, -1); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{lay.Schedule("junk"), lay.Worker("intruder"), lay.Worker("another")} {
		if err := st.Create(p, junk); err != nil {
			t.Fatal(err)
		}
	}
	for i, want := range []string{"1", "1", "2"} {
		var v any
		r := getList(t, hs.URL+endpoints[i], &v)
		if got := r.Header.Get("X-Drover-Skipped"); got != want {
			t.Errorf("%s: X-Drover-Skipped %q, want %s", endpoints[i], got, want)
		}
	}
}

// TestSchedulesListingBounded: the schedules API reads the first limit
// schedules by name, skipping removed ones, and says when more are left.
func TestSchedulesListingBounded(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	c := client.New(st)
	for _, name := range []string{"a", "b", "c", "d", "e"} {
		if _, err := c.AddSchedule(context.Background(), client.ScheduleSpec{Name: name, Cron: "@daily", Task: client.TaskSpec{Cmd: []string{"true"}}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"b", "e"} { // tombstones, listed but no schedules
		if err := c.RemoveSchedule(context.Background(), name); err != nil {
			t.Fatal(err)
		}
	}
	hs := apiServer(t, st)
	for _, tc := range []struct {
		query     string
		names     string
		truncated bool
	}{
		{"limit=1", "a", true},
		{"limit=2", "a c", true},
		{"limit=3", "a c d", false},
		{"", "a c d", false},
	} {
		var got []struct{ Name string }
		r := getList(t, hs.URL+"/api/v1/schedules?"+tc.query, &got)
		var names []string
		for _, g := range got {
			names = append(names, g.Name)
		}
		if strings.Join(names, " ") != tc.names || (r.Header.Get("X-Drover-Truncated") == "true") != tc.truncated {
			t.Fatalf("%q: %v, truncated %q; want %s, %v", tc.query, names, r.Header.Get("X-Drover-Truncated"), tc.names, tc.truncated)
		}
	}
	if code, _ := get(t, hs.URL+"/api/v1/schedules?limit=0"); code != 400 {
		t.Fatalf("limit=0: %d, want 400", code)
	}
}

// TestWorkerMetrics: a worker serves its own counters; the attempt a
// scheduler placed on it is counted started and reported.
func TestWorkerMetrics(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	s, err := scheduler.New(scheduler.Config{ID: "s1", Store: st, Log: drovertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	w, err := worker.New(worker.Config{ID: "metered", Commands: true, Capacity: 3, Version: "v9.8.7", Store: drovertest.OpenStore(t, root), Log: drovertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	wg.Add(2)
	go func() { defer wg.Done(); _ = s.Run(ctx) }()
	go func() { defer wg.Done(); _ = w.Run(ctx) }()
	hs := httptest.NewServer(NewWorker(w, st).Handler())
	t.Cleanup(hs.Close)
	id := ulid.Make().String()
	if _, err := st.Submit(ctx, []*store.Task{{ID: id, Cmd: []string{"true"}, SubmittedAt: time.Now().UTC()}}); err != nil {
		t.Fatal(err)
	}
	var body string
	drovertest.WaitFor(t, 20*time.Second, "the attempt reported", func() bool {
		_, body = get(t, hs.URL+"/metrics")
		return strings.Contains(body, "drover_worker_attempts_reported_total 1")
	})
	for _, want := range []string{"drover_worker_capacity 3", "drover_worker_attempts_started_total 1", "drover_worker_attempts_running 0",
		"drover_worker_attempts_killed_total 0", "drover_worker_attempts_unreported_total 0", "drover_worker_registered 1", "drover_worker_draining 0", "drover_worker_guard_losses_total 0", "drover_worker_live_output_writes_total 0",
		"drover_zookeeper_connected 1", "drover_deadletter_dropped_total 0", `drover_build_info{version="v9.8.7"} 1`,
		"drover_worker_assignments_handed_back_total 0", "drover_worker_slot_wait_seconds_count 1"} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("no %q in the worker's metrics:\n%s", want, body)
		}
	}
	if code, _ := get(t, hs.URL+"/healthz"); code != http.StatusOK {
		t.Errorf("healthz: %d", code)
	}
}

// The schedules listing, polled by the dashboard, leaves each schedule's
// history out (up to 1,000 runs a list: 147 KB for one schedule on each
// poll); schedules/NAME shows one schedule whole, a 404 for no such
// schedule and a 400 for a name that is none.
func TestScheduleListingLeavesHistoryToTheScheduleRoute(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	c := client.New(st)
	if _, err := c.AddSchedule(context.Background(), client.ScheduleSpec{Name: "long", Cron: "@hourly", Task: client.TaskSpec{Cmd: []string{"true"}}}); err != nil {
		t.Fatal(err)
	}
	p := st.Layout().Schedule("long")
	data, stat, err := st.Get(p)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := store.DecodeSchedule(data)
	if err != nil {
		t.Fatal(err)
	}
	base := time.Now().Add(-500 * time.Hour).Truncate(time.Hour)
	for k := range 300 {
		slot := base.Add(time.Duration(k) * time.Hour)
		state := store.StateSucceeded
		if k%3 == 0 {
			state = store.StateFailed
		}
		rec.Record(store.ScheduleRun{Slot: slot, Task: ulid.MustNew(ulid.Timestamp(slot), nil).String(), State: state})
	}
	b, err := rec.EncodeFit()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Set(p, b, stat.Version); err != nil {
		t.Fatal(err)
	}
	hs := apiServer(t, st)
	code, list := get(t, hs.URL+"/api/v1/schedules")
	if code != 200 || !strings.Contains(list, `"name":"long"`) {
		t.Fatalf("schedules: %d %s", code, list)
	}
	if strings.Contains(list, `"succeeded"`) || strings.Contains(list, `"failed"`) || len(list) > 4096 {
		t.Fatalf("the listing carries the history (%d bytes):\n%.400s", len(list), list)
	}
	code, one := get(t, hs.URL+"/api/v1/schedules/long")
	if code != 200 || !strings.Contains(one, `"succeeded":[`) || !strings.Contains(one, `"failed":[`) {
		t.Fatalf("schedules/long: %d, want its history:\n%.400s", code, one)
	}
	if code, body := get(t, hs.URL+"/api/v1/schedules/nope"); code != 404 || !strings.Contains(body, `"error"`) {
		t.Fatalf("schedules/nope: %d %s, want a 404 with an error", code, body)
	}
	if code, _ := get(t, hs.URL+"/api/v1/schedules/a%20b"); code != 400 {
		t.Fatalf("schedules/a%%20b: %d, want 400", code)
	}
}

// The task listing takes ls's filters: name (a glob), worker, schedule and
// before (a page's cursor); a bad one is a 400.
func TestTaskListingFilters(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	now := time.Now().UTC()
	zero := 0
	var ids []string
	for i, name := range []string{"build-1", "deploy", "build-2"} {
		at := now.Add(time.Duration(i) * time.Second)
		tk := &store.Task{ID: store.NewTaskID(at), Name: name, Cmd: []string{"true"}, SubmittedAt: at, State: store.StateSucceeded,
			Attempt: 1, ExitCode: &zero, FinishedAt: at, Worker: "w" + strconv.Itoa(i)}
		finish(t, st, tk)
		ids = append(ids, tk.ID)
	}
	hs := apiServer(t, st)
	listed := func(query string) []string {
		var list []map[string]any
		getList(t, hs.URL+"/api/v1/tasks?"+query, &list)
		var got []string
		for _, tk := range list {
			got = append(got, tk["id"].(string))
		}
		return got
	}
	if got := listed("name=build-*"); len(got) != 2 || got[0] != ids[2] || got[1] != ids[0] {
		t.Errorf("name=build-*: %v", got)
	}
	if got := listed("name=build-*&before=" + ids[2]); len(got) != 1 || got[0] != ids[0] {
		t.Errorf("name=build-*&before=newest: %v", got)
	}
	if got := listed("worker=w1"); len(got) != 1 || got[0] != ids[1] {
		t.Errorf("worker=w1: %v", got)
	}
	if got := listed("schedule=nightly"); len(got) != 0 {
		t.Errorf("schedule=nightly: %v", got)
	}
	for _, q := range []string{"name=%5B", "before=nope", "worker=a%2Fb", "name="} {
		if code, body := get(t, hs.URL+"/api/v1/tasks?"+q); code != http.StatusBadRequest || !strings.Contains(body, `"error"`) {
			t.Errorf("%s: %d %s, want a 400 with an error", q, code, body)
		}
	}
}
