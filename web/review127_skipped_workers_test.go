package web

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// TestDashboardShowsAShortWorkerListAsTheWhole: README says /api/v1/cluster
// (its workers), tasks and schedules "set X-Drover-Skipped: N when they left
// out N records that do not decode, as the CLI says on stderr", and
// setSkipped's comment gives the reason: "so a dashboard need not show a
// short list as the whole". The dashboard the server ships never reads the
// header. In a rolling upgrade, workers already on the newer release
// register records this scheduler cannot read (v=2): drover workers says it
// skipped them, but the dashboard lists only the old workers, with no word
// that others are registered, so an operator watching the upgrade sees the
// upgraded workers vanish. This test registers one readable worker and one
// of a newer Drover on a real ZooKeeper, checks the API says
// X-Drover-Skipped: 1, and renders the server's own dashboard in Chromium.
// (Found by review127.)
func TestDashboardShowsAShortWorkerListAsTheWhole(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (make test installs it with apt-get)")
	}
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	ctx := context.Background()
	old, err := store.Encode(&store.WorkerInfo{ID: "w-old", Host: "h", PID: 42, Capacity: 2, Version: "v1", StartedAt: time.Now().UTC()})
	if err != nil {
		t.Fatal(err)
	}
	lay := st.Layout()
	if _, _, err := st.CreateEphemeral(ctx, lay.Worker("w-old"), old); err != nil {
		t.Fatal(err)
	}
	// A worker of a newer release, mid-upgrade: its registration's format
	// is one this build does not read (store.ErrUnsupportedVersion).
	newer := []byte(`{"v":2,"id":"w-upgraded","host":"h","pid":43,"capacity":2,"version":"v2","started_at":"2026-12-05T00:00:00Z"}`)
	if _, _, err := st.CreateEphemeral(ctx, lay.Worker("w-upgraded"), newer); err != nil {
		t.Fatal(err)
	}
	hs := apiServer(t, st) // the real handler: API and dashboard, on 127.0.0.1
	var v clusterView
	if r := getList(t, hs.URL+"/api/v1/cluster", &v); r.Header.Get("X-Drover-Skipped") != "1" || len(v.Workers) != 1 {
		t.Fatalf("cluster: X-Drover-Skipped %q, %d workers; want 1 skipped, 1 listed", r.Header.Get("X-Drover-Skipped"), len(v.Workers))
	}
	cctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	out, err := exec.CommandContext(cctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+t.TempDir(), "--virtual-time-budget=5000", "--dump-dom", hs.URL+"/").Output()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	dom := string(out)
	if !strings.Contains(dom, "w-old") {
		t.Fatalf("the dashboard did not render the workers:\n%s", dom)
	}
	low := strings.ToLower(dom)
	if !strings.Contains(low, "skipped") && !strings.Contains(low, "unreadable") && !strings.Contains(low, "not shown") {
		t.Fatalf("the API skipped 1 worker registration (X-Drover-Skipped: 1) but the dashboard lists its 1 readable worker as all there is, without a word of the other:\n%s", dom)
	}
}
