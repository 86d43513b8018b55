package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/drover-sched/drover/zkserver"
)

// startServer starts a ZooKeeper of its own for a test, stopped at its end.
func startServer(t *testing.T, cfg zkserver.Config) *zkserver.Server {
	t.Helper()
	srv, err := zkserver.Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("start ZooKeeper: %v", err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	return srv
}

// The report's session_timeout_ms is what failover_ms is read against
// ("kill -9 of the leader, session timeout 2000 ms"), but it is the timeout
// the bench asks for, not the one the server grants. A stock ensemble
// (zoo.cfg's tickTime=2000) grants at least 2 ticks, 4 s: failover_ms then
// doubles while session_timeout_ms still says 2000.
func TestReportedSessionTimeoutIsTheGrantedOne(t *testing.T) {
	srv := startServer(t, zkserver.Config{TickTime: 2 * time.Second})
	bin := filepath.Join(t.TempDir(), "drover")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/drover").CombinedOutput(); err != nil {
		t.Fatalf("build drover: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// As Run fills them in.
	cfg := Config{Servers: []string{srv.Addr()}, SessionTimeout: 2 * time.Second, ConnectTimeout: 10 * time.Second,
		Binary: bin, Log: zerolog.Nop()}
	reported := ms(cfg.SessionTimeout) // Report.SessionTimeoutMs
	root := fmt.Sprintf("/drover-bench-test-%d", os.Getpid())
	failoverMs, err := failover(ctx, cfg, root)
	if err != nil {
		t.Fatal(err)
	}
	st, err := open(ctx, cfg, root)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	granted := ms(st.GrantedSessionTimeout())
	t.Logf("failover_ms %.0f, session_timeout_ms reported %.0f, granted %.0f", failoverMs, reported, granted)
	if granted != reported {
		t.Errorf("session_timeout_ms reports %.0f ms, but the phase's sessions were granted %.0f ms (failover_ms %.0f)",
			reported, granted, failoverMs)
	}
}

// Config.Duration says it "is spent on each throughput phase", and the
// ratio tasks_per_s / zk_raw_creates_per_s compares the two: the raw rate is
// counted over Duration after a 1 s warm-up, but the task phase is a fixed
// batch (5,000 tasks, about a second here) timed from a cold cluster's first
// submit, ramp-up and drain tail included. Run as the bench runs it (after
// the raw creates have warmed the server), then with four times the batch,
// then the batch again.
func TestThroughputPhaseSpendsDuration(t *testing.T) {
	srv := startServer(t, zkserver.Config{Heap: "1g"})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cfg := Config{Servers: []string{srv.Addr()}, Duration: 5 * time.Second, Tasks: 5000, Workers: 2, Capacity: 32,
		SessionTimeout: 2 * time.Second, ConnectTimeout: 10 * time.Second, Log: zerolog.Nop()}
	root := fmt.Sprintf("/drover-bench-test-%d", os.Getpid())
	raw, err := rawCreates(ctx, cfg, root+"-raw")
	if err != nil {
		t.Fatal(err)
	}
	long := cfg
	long.Tasks = 4 * cfg.Tasks
	var rates []float64
	for i, c := range []Config{cfg, long, cfg} {
		rate, _, err := throughput(ctx, c, fmt.Sprintf("%s-%d", root, i))
		if err != nil {
			t.Fatal(err)
		}
		rates = append(rates, rate)
		t.Logf("%d tasks: %.0f tasks/s over %v (%.2f of raw creates %.0f/s)", c.Tasks, rate,
			time.Duration(float64(c.Tasks)/rate*float64(time.Second)).Round(time.Millisecond), rate/raw, raw)
	}
	if window := time.Duration(float64(cfg.Tasks) / rates[0] * float64(time.Second)); window < cfg.Duration {
		t.Errorf("tasks_per_s (%.0f) was counted over %v, not --duration %v: a %d-task burst from a cold cluster, against a raw rate counted over %v after a warm-up (%d tasks: %.0f/s)",
			rates[0], window.Round(time.Millisecond), cfg.Duration, cfg.Tasks, cfg.Duration, long.Tasks, rates[1])
	}
}
