package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/drover-sched/drover/store"
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
	// As Run fills it in.
	cfg := Config{Servers: []string{srv.Addr()}, SessionTimeout: 2 * time.Second, ConnectTimeout: 10 * time.Second,
		Binary: bin, Log: zerolog.Nop()}
	root := fmt.Sprintf("/drover-bench-test-%d", os.Getpid())
	failoverMs, grantedFailover, err := failover(ctx, cfg, root)
	if err != nil {
		t.Fatal(err)
	}
	reported := ms(grantedFailover) // Report.SessionTimeoutMs, as Run fills it in
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

// Config.Duration "is spent on each throughput phase", and the ratio
// tasks_per_s / zk_raw_creates_per_s compares the two: the raw rate is
// counted over Duration after a 1 s warm-up. The task phase was a fixed
// batch (5,000 tasks, about a second here) timed from a cold cluster's first
// submit, ramp-up and drain tail included. It counts over Duration now,
// after a warm-up, with cfg.Tasks kept queued: it cannot take less than
// both (a lower bound: a busy machine only makes it longer).
func TestThroughputPhaseSpendsDuration(t *testing.T) {
	srv := startServer(t, zkserver.Config{Heap: "1g"})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cfg := Config{Servers: []string{srv.Addr()}, Duration: 3 * time.Second, Tasks: 500, Workers: 2, Capacity: 8,
		SessionTimeout: 2 * time.Second, ConnectTimeout: 10 * time.Second, Log: zerolog.Nop()}
	root := fmt.Sprintf("/drover-bench-test-%d", os.Getpid())
	start := time.Now()
	rate, _, err := throughput(ctx, cfg, root)
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	t.Logf("%.0f tasks/s, the phase took %v", rate, took.Round(time.Millisecond))
	if rate <= 0 || took < cfg.Duration+time.Second {
		t.Errorf("tasks_per_s %.0f counted in a phase of %v: want Duration %v after a second's warm-up", rate, took, cfg.Duration)
	}
}

// cron_delay leaves out the schedule's first slot, a warm-up.
func TestSlotDelaysAfterFirst(t *testing.T) {
	d := &slotDelays{bySlot: map[int64][]float64{100: {900}, 101: {5}, 102: {7, 8}}}
	got := d.afterFirst()
	slices.Sort(got)
	if !slices.Equal(got, []float64{5, 7, 8}) {
		t.Fatalf("afterFirst = %v, want [5 7 8]", got)
	}
}

// Under load, making the fan-out phase's schedules could take until less
// than a second before their slot, and the bench then gave up with exit 1
// ("too close to measure") though a later slot would have done. It makes
// them again for a later slot now.
func TestFanoutMakesItsSchedulesAgainWhenTheSlotIsTooClose(t *testing.T) {
	srv := startServer(t, zkserver.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	picks := 0
	// The first slot is picked 30 s behind, so it is past once made.
	cfg := Config{Servers: []string{srv.Addr()}, SessionTimeout: 2 * time.Second, ConnectTimeout: 10 * time.Second, Log: zerolog.Nop(),
		clock: func() time.Time {
			if picks++; picks == 1 {
				return time.Now().Add(-30 * time.Second)
			}
			return time.Now()
		}}
	root := fmt.Sprintf("/drover-bench-test-%d", os.Getpid())
	st, err := open(ctx, cfg, root)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	names := []string{"fanout-00000", "fanout-00001", "fanout-00002"}
	slot, slot2, err := makeFanout(ctx, cfg, st, names)
	if err != nil {
		t.Fatalf("making the schedules again for a later slot: %v", err)
	}
	if picks != 2 || time.Until(slot) < time.Second {
		t.Fatalf("slot picked %d times, %v ahead: want a second pick at least a second ahead", picks, time.Until(slot).Round(time.Millisecond))
	}
	want := fmt.Sprintf("%d,%d %d %d %d %d *", slot.Second(), slot2.Second(), slot.Minute(), slot.Hour(), slot.Day(), int(slot.Month()))
	for _, rd := range st.GetMany([]string{st.Layout().Schedule(names[0]), st.Layout().Schedule(names[2])}) {
		if rd.Err != nil {
			t.Fatal(rd.Err)
		}
		rec, err := store.DecodeSchedule(rd.Data)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Removed || rec.Cron != want {
			t.Errorf("schedule %s: removed %v, spec %q: want %q", rec.Name, rec.Removed, rec.Cron, want)
		}
	}
}
