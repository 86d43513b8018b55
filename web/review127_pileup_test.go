package web

import (
	"context"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestDashboardPilesUpSlowRequestsWhenAnotherFailsFast: app.js says "the
// next refresh is scheduled when one ends, so a slow server never has more
// than one refresh's requests from this page". But a refresh is a
// Promise.all of three fetches: when one of them fails at once (a 500 or
// 503 of one route: a schedule record the server cannot read, a proxy's
// 502) the refresh ends there, and the other fetches, still open, are
// neither awaited nor aborted. Two seconds later the next refresh opens
// three more. Against a slow task listing (a large tree, a loaded
// ZooKeeper) each poll leaves one more listing open, up to 15 s each: some
// seven at once per open tab, past the browser's six connections per host,
// after which the page's own cluster requests queue behind them, and on
// the server they take the API's 8 read tokens (maxReads) from every other
// client. This test serves a task listing that answers only when its
// request is dropped and a schedules route that fails at once, and waits
// for five listings to be open at once (one poll's worth is one).
// (Found by review127.)
func TestDashboardPilesUpSlowRequestsWhenAnotherFailsFast(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (make test installs it with apt-get)")
	}
	var open, most, total atomic.Int32
	piled := make(chan struct{}) // closed when five listings are open at once
	var closed atomic.Bool
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/cluster", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"leader":null,"served_by":"leader","served_by_id":"s1","workers":[],"stats":{"leader":true,"view_ready":true,"queued":{}}}`)
	})
	mux.HandleFunc("GET /api/v1/schedules", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, `{"error":"read schedule nightly: zk: not authenticated"}`)
	})
	mux.HandleFunc("GET /api/v1/tasks", func(w http.ResponseWriter, r *http.Request) {
		total.Add(1)
		n := open.Add(1)
		defer open.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		if n >= 5 && closed.CompareAndSwap(false, true) {
			close(piled)
		}
		// A slow listing: it answers after 5 s (an empty list), or when
		// the client gives up on it or the test ends. Polls 2 s apart
		// pile up meanwhile on a page that does not wait for it.
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, "[]")
		}
	})
	assets, _ := fs.Sub(static, "static")
	mux.Handle("GET /", http.FileServerFS(assets))
	hs := httptest.NewServer(mux)
	defer hs.Close()
	// Virtual time stands still while a fetch is open: this runs in real time.
	profile, err := os.MkdirTemp("", "drover-pileup-test-")
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
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Two polls are 2 s apart: a page that piles up shows it within
	// seconds; one that does not opens its second listing only after the
	// first has answered.
	for end := time.Now().Add(60 * time.Second); total.Load() < 2 && time.Now().Before(end); {
		select {
		case <-piled:
			end = time.Now()
		case <-time.After(100 * time.Millisecond):
		}
	}
	cancel()
	_ = cmd.Wait()
	if total.Load() == 0 {
		t.Fatal("the page never asked for the task listing")
	}
	if most.Load() > 1 {
		t.Fatalf("%d task listings were open at once from one page (of %d asked for); want 1: a refresh ended by the failed schedules request left its listing open and the next poll opened another",
			most.Load(), total.Load())
	}
}
