package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/store"
)

// drover bench runs every phase against a given ZooKeeper and reports every
// figure. The figures themselves are for reading, not for asserting: a busy
// machine moves them.
func TestBenchReportsEveryFigure(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every bench phase (~20 s)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	r := runBench(t, ctx, "--zk", zkAddr, "-o", "json",
		"bench", "--duration", "1s", "--tasks", "300", "--cli-tasks", "200", "--cron-fanout", "50",
		"--scale-queued", "300", "--scale-workers", "5")
	for _, k := range []string{"zk_raw_creates_per_s", "zk_raw_multi_ops_per_s", "tasks_per_s",
		"tasks_per_s_over_zk_raw_creates", "zk_raw_create_p50_ms", "zk_raw_create_p99_ms", "zk_raw_get_p50_ms",
		"submit_to_start_p50_ms", "submit_to_start_p99_ms", "submit_to_result_p50_ms", "failover_ms",
		"cron_delay_p50_ms", "cron_delay_p99_ms", "cron_fanout_schedules", "cron_fanout_start_p50_ms", "cron_fanout_start_max_ms", "cli_tasks_per_s", "cli_tasks_per_s_over_zk_raw_creates", "peak_rss_mb",
		"cli_raw_true_per_s", "cli_raw_true_cpu_ms", "cli_tasks_per_s_over_raw_true",
		"cli_cpu_commands_ms_per_task", "cli_cpu_clients_ms_per_task", "cli_busy_cores", "tasks_busy_cores", "tasks_cpu_drover_ms_per_task",
		"scale_queued", "scale_drain_tasks_per_s", "scale_scheduler_peak_rss_mb", "scale_max_bucket_children"} {
		if v, ok := r[k].(float64); !ok || v <= 0 {
			t.Errorf("%s = %v, want a positive figure", k, r[k])
		}
	}
	if v, ok := r["cron_fanout_missed"].(float64); !ok || v < 0 || v >= 100 {
		t.Errorf("cron_fanout_missed = %v, want a figure below the 100 slots of 50 schedules", r["cron_fanout_missed"])
	}
	// Counted in 10 ms ticks: over 200 tasks these may round to 0; and a
	// firing may commit in the slot's millisecond.
	for _, k := range []string{"cli_cpu_workers_ms_per_task", "cli_cpu_scheduler_ms_per_task", "cron_fanout_fired_max_ms", "cron_fanout_refired_max_ms"} {
		if v, ok := r[k].(float64); !ok || v < 0 {
			t.Errorf("%s = %v, want a figure", k, r[k])
		}
	}
	// A ZooKeeper the bench did not start is not measured.
	if v, ok := r["cli_cpu_zookeeper_ms_per_task"]; ok {
		t.Errorf("cli_cpu_zookeeper_ms_per_task = %v with --zk", v)
	}
	// Nor is it left holding what the bench wrote: each phase's root goes
	// when the phase ends.
	assertNoBenchRoots(t, zkAddr)
}

// runBench runs drover with args (a bench with -o json) and returns its figures.
func runBench(t *testing.T, ctx context.Context, args ...string) map[string]any {
	t.Helper()
	cmd := exec.CommandContext(ctx, binary, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("drover %v: %v\n%s", args, err, errb.String())
	}
	var r map[string]any
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("bench output is not JSON: %v\n%s", err, out.String())
	}
	return r
}

// assertNoBenchRoots checks the server at addr holds no /drover-bench-* root.
func assertNoBenchRoots(t *testing.T, addr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st, err := store.Open(ctx, store.Config{Servers: []string{addr}, Root: newRoot(), SessionTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	top, err := st.Children("/")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range top {
		if strings.HasPrefix(name, "drover-bench-") {
			t.Errorf("bench left /%s behind", name)
		}
	}
}

// A bench pointed at no server says so in one line within --session-timeout.
func TestBenchWithoutZooKeeper(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "--zk", addr, "--session-timeout", "1s", "bench", "--duration", "1s")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	err = cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("bench without a server: %v; want exit 1\n%s", err, errb.String())
	}
	last := strings.TrimSpace(errb.String())
	if i := strings.LastIndexByte(last, '\n'); i >= 0 {
		last = last[i+1:] // after the progress lines
	}
	if !strings.HasPrefix(last, "drover: ") || !strings.Contains(last, "cannot reach ZooKeeper at "+addr) {
		t.Fatalf("want a last line \"drover: ... cannot reach ZooKeeper at %s ...\", got %q", addr, errb.String())
	}
}

// A bench pointed at a name that resolves to nothing reaches nothing, so it
// deletes nothing and says so in one line. (Go's resolver answers for
// .onion names itself, with no query sent.)
func TestBenchWithoutAnAddress(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "--zk", "nothing-here.onion:2181", "--session-timeout", "1s", "bench", "--duration", "1s")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("bench without an address: %v; want exit 1\n%s", err, errb.String())
	}
	if out := errb.String(); strings.Contains(out, "deleting") || strings.Contains(out, "delete it") ||
		strings.Count(strings.TrimSpace(out), "\n") != 1 || !strings.Contains(out, "drover: raw ZooKeeper creates: connect to zookeeper nothing-here.onion:2181") {
		t.Fatalf("want the phase's line and one error line, no deleting:\n%s", out)
	}
}
