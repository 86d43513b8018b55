package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/drover-sched/drover/store"
	"github.com/drover-sched/drover/zkserver"
)

var (
	zkAddr string
	binary string
)

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	unsetDroverVars()
	dir, err := os.MkdirTemp("", "drover-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "drover")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build drover: %v\n%s", err, out)
		return 1
	}
	srv, stop := zkserver.MustStartForMain()
	defer stop()
	zkAddr = srv.Addr()
	return m.Run()
}

// unsetDroverVars removes every DROVER_ variable from this process's
// environment, which each drover the tests start inherits: a caller's
// DROVER_CONFIG (a developer's own cluster's file), DROVER_ZK_AUTH or
// DROVER_ZK would reach every command, daemon and dev cluster, and
// DROVER_CONFIG naming a file not here fails them all ("drover: --config:
// open ...", exit 2). A test that wants one passes it to its command.
// DROVER_ZK_CLASSPATH stays: it says where ZooKeeper is installed.
func unsetDroverVars() {
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "DROVER_") && k != "DROVER_ZK_CLASSPATH" {
			os.Unsetenv(k)
		}
	}
}

var rootSeq atomic.Int64

func newRoot() string { return fmt.Sprintf("/cli-test-%d-%d", os.Getpid(), rootSeq.Add(1)) }

type result struct {
	code           int
	stdout, stderr string
}

// drover runs the binary against the test server under root.
func drover(t *testing.T, root string, args ...string) result {
	t.Helper()
	return droverIn(t, root, "", args...)
}

// daemon starts a long-running drover process; it is killed by pid at cleanup.
func daemon(t *testing.T, root string, args ...string) *exec.Cmd {
	t.Helper()
	return daemonAs(t, root, nil, args...)
}

// daemonAs is daemon run as the user cred names (nil: this process's).
func daemonAs(t *testing.T, root string, cred *syscall.Credential, args ...string) *exec.Cmd {
	t.Helper()
	return daemonWith(t, root, cred, nil, args...)
}

// daemonWith is daemonAs with env added to this process's environment.
func daemonWith(t *testing.T, root string, cred *syscall.Credential, env []string, args ...string) *exec.Cmd {
	t.Helper()
	full := append([]string{"--zk", zkAddr, "--root", root, "--session-timeout", "2s", "--log-level", "debug"}, args...)
	cmd := exec.Command(binary, full...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	logf, err := os.Create(filepath.Join(t.TempDir(), "daemon.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: cred}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); logf.Close(); close(done) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		if t.Failed() {
			data, _ := os.ReadFile(logf.Name())
			t.Logf("%v log:\n%s", args, lastLines(string(data), 40))
		}
	})
	return cmd
}

func lastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// openStore opens a store on the test server at root, closed when t ends.
func openStore(t *testing.T, root string) *store.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st, err := store.Open(ctx, store.Config{Servers: []string{zkAddr}, Root: root, SessionTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestBadInputExits2WithOneLine(t *testing.T) {
	root := newRoot()
	jsonl := filepath.Join(t.TempDir(), "bad.jsonl")
	if err := os.WriteFile(jsonl, []byte("{\"cmd\":[\"true\"]}\n{\"cmd\":[\"true\"],\"bogus\":1}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(t.TempDir(), "big.jsonl")
	if err := os.WriteFile(big, []byte(`{"cmd":["echo","`+strings.Repeat("x", 1000*1000)+`"]}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	// Credentials every user of the machine can read are refused, as ssh
	// refuses such a key.
	open := filepath.Join(t.TempDir(), "zk-auth")
	if err := os.WriteFile(open, []byte("drover:secret\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o644); err != nil { // past the umask
		t.Fatal(err)
	}
	tests := [][]string{
		{"--bogus"},
		{"nosuchcommand"},
		// Files the user names are read up to a bound (these ran out of
		// memory), and empty credentials are no credentials.
		{"--config", "/dev/zero", "workers"},
		{"--zk-auth-file", "/dev/zero", "workers"},
		{"--zk-auth-file", empty, "workers"},
		{"--zk-auth-file", open, "workers"},
		{"--zk-tls-ca", "/dev/zero", "workers"},
		{"--zk-tls-cert", "/dev/zero", "--zk-tls-key", "/dev/zero", "workers"},
		{"--zk", "bad!host:2181", "workers"},
		{"--zk", "a..b", "workers"},
		{"--zk", "10.0.0.1%eth0:2181", "workers"}, // a zone is for IPv6 only
		{"wait", "-f", "/dev/zero"},
		{"schedule", "add", "x", "--cron", "CRON_TZ=UTC", "--", "true"},
		{"scheduler", "--id", "x", "--http", "not an addr"},
		{"scheduler", "--id", "x", "--http", "127.0.0.1:99999"},
		{"worker", "--id", "x", "--http", "not an addr"},
		{"scheduler", "--id", "x", "--max-deadletters", "0"},
		{"deadletter", "ls", "--limit", "-1"},
		// A command that only groups others, alone (it printed its help, exit 0).
		{"schedule"}, {"deadletter"}, {"config"}, {"completion"},
		{"submit", "--bogus", "--", "true"},
		{"submit"},
		{"submit", "--priority", "urgent", "--", "true"},
		{"submit", "--timeout", "soon", "--", "true"},
		{"submit", "--retries", "x", "--", "true"},
		{"submit", "--on", "gpu", "--", "true"},
		{"submit", "--env", "1X=y", "--", "true"},
		{"submit", "--env", "DROVER_SCHEDULE=fake", "--", "true"},
		{"schedule", "add", "x", "--cron", "@daily", "--env", "DROVER_SLOT=1", "--", "true"},
		{"submit", "--name", "../x", "--", "true"},
		{"submit", "--name", "a b", "--", "true"},
		{"submit", "--key", "k\x01", "--", "true"},
		{"submit", "--key", "k\xff", "--", "true"},
		{"submit", "-f", jsonl},
		{"submit", "-f", big},
		{"submit", "-f", "/nonexistent/file.jsonl"},
		{"status", "not-an-id"},
		{"status"},
		{"wait", "../../x"},
		{"ls", "--state", "sleeping"},
		{"ls", "--scan", "-1"},
		{"bench", "--cron-fanout", "40001"},
		{"bench", "--cron-fanout", "-1"},
		{"-o", "yaml", "workers"},
		{"--session-timeout", "1ms", "workers"},
		{"--root", "relative", "workers"},
		{"worker", "--capacity", "0"},
		{"worker", "--prefetch", "-1"},
		{"worker", "--capacity", "4", "--prefetch", "9997"},
		{"bench", "--prefetch", "-1"},
		{"bench", "--capacity", "9000", "--prefetch", "1001"},
		{"worker", "--id", "a/b"},
		{"worker", "--label", "novalue"},
		{"worker", "--label", "zone=a", "--label", "zone=b"},
		{"submit", "--on", "gpu=yes", "--on", "gpu=no", "--", "true"},
	}
	for _, args := range tests {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			r := drover(t, root, args...)
			if r.code != 2 {
				t.Fatalf("exit %d, want 2; stderr %q", r.code, r.stderr)
			}
			if lines := strings.Count(strings.TrimRight(r.stderr, "\n"), "\n"); lines != 0 || !strings.HasPrefix(r.stderr, "drover: ") ||
				strings.HasPrefix(r.stderr, "drover: drover") {
				t.Fatalf("want one line starting with \"drover: \" (once), got %q", r.stderr)
			}
		})
	}
	// Nothing was written by any of them.
	assertNothingWritten(t, root)
}

func TestUnreachableZooKeeper(t *testing.T) {
	port, err := zkserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, "--zk", fmt.Sprintf("127.0.0.1:%d", port), "--session-timeout", "1s", "workers")
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), "cannot reach ZooKeeper") {
		t.Fatalf("exit %v, output %q", err, out)
	}
}

func TestSubmitQueuedStatus(t *testing.T) {
	root := newRoot()
	r := drover(t, root, "submit", "--name", "nightly", "--retries", "2", "--priority", "high", "--", "echo", "hi")
	if r.code != 0 {
		t.Fatalf("submit: %+v", r)
	}
	id := strings.TrimSpace(r.stdout)
	r = drover(t, root, "status", "-o", "json", id)
	var task map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &task); err != nil {
		t.Fatalf("status json %q: %v", r.stdout, err)
	}
	if task["id"] != id || task["state"] != "queued" || task["attempts"] != float64(0) || task["name"] != "nightly" {
		t.Fatalf("status %v", task)
	}
	// The same idempotency key returns the first task.
	a := drover(t, root, "submit", "--key", "k1", "--", "true")
	b := drover(t, root, "submit", "--key", "k1", "--", "true")
	if a.code != 0 || a.stdout != b.stdout {
		t.Fatalf("idempotency: %q then %q", a.stdout, b.stdout)
	}
	if r := drover(t, root, "leader"); r.code != 1 || !strings.Contains(r.stderr, "no scheduler") {
		t.Fatalf("leader without schedulers: %+v", r)
	}
}

func TestEndToEndWithProcesses(t *testing.T) {
	root := newRoot()
	daemon(t, root, "scheduler", "--id", "s1")
	waitFor(t, 20*time.Second, "s1 leads", func() bool {
		return strings.Contains(drover(t, root, "leader").stdout, "s1")
	})
	daemon(t, root, "scheduler", "--id", "s2")
	daemon(t, root, "worker", "--id", "w1", "--capacity", "4")
	daemon(t, root, "worker", "--id", "w2", "--capacity", "4", "--label", "gpu=true")

	r := drover(t, root, "submit", "--wait", "--", "echo", "hello")
	if r.code != 0 || r.stdout != "hello\n" {
		t.Fatalf("submit --wait: %+v", r)
	}
	if r := drover(t, root, "submit", "--wait", "--shell", "--", "echo out; echo err >&2; exit 3"); r.code != 3 || r.stdout != "out\n" || !strings.Contains(r.stderr, "err\n") {
		t.Fatalf("exit code not propagated: %+v", r)
	}
	if r := drover(t, root, "submit", "--wait", "--on", "gpu=true", "--", "sh", "-c", "echo $DROVER_WORKER_ID"); r.stdout != "w2\n" {
		t.Fatalf("label placement: %+v", r)
	}
	// Bulk submit, then wait for all.
	var lines strings.Builder
	for i := 0; i < 50; i++ {
		fmt.Fprintf(&lines, "{\"cmd\":[\"true\"],\"priority\":\"low\"}\n")
	}
	file := filepath.Join(t.TempDir(), "batch.jsonl")
	if err := os.WriteFile(file, []byte(lines.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	r = drover(t, root, "submit", "-f", file)
	if r.code != 0 || strings.Count(r.stdout, "\n") != 50 {
		t.Fatalf("submit -f: %+v", r)
	}
	ids := filepath.Join(t.TempDir(), "ids")
	if err := os.WriteFile(ids, []byte(r.stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := drover(t, root, "wait", "-f", ids); r.code != 0 {
		t.Fatalf("wait -f: %+v", r)
	}
	var workers []map[string]any
	r = drover(t, root, "workers", "-o", "json")
	if err := json.Unmarshal([]byte(r.stdout), &workers); err != nil || len(workers) != 2 {
		t.Fatalf("workers: %q %v", r.stdout, err)
	}
	if _, ok := workers[0]["token"]; ok {
		t.Fatalf("workers -o json shows the registration's token, the worker's own: %v", workers[0])
	}
	id := strings.TrimSpace(drover(t, root, "submit", "--", "echo", "logged").stdout)
	if r := drover(t, root, "wait", id); r.code != 0 {
		t.Fatalf("wait: %+v", r)
	}
	if r := drover(t, root, "logs", id); r.stdout != "logged\n" {
		t.Fatalf("logs: %+v", r)
	}
	var task map[string]any
	if err := json.Unmarshal([]byte(drover(t, root, "status", "-o", "json", id).stdout), &task); err != nil {
		t.Fatal(err)
	}
	if task["state"] != "succeeded" || task["exit_code"] != float64(0) || task["attempts"] != float64(1) || task["worker"] == "" {
		t.Fatalf("status: %v", task)
	}
}

func TestLeaderKillMinus9(t *testing.T) {
	root := newRoot()
	s1 := daemon(t, root, "scheduler", "--id", "s1")
	waitFor(t, 20*time.Second, "s1 leads", func() bool {
		return strings.Contains(drover(t, root, "leader").stdout, "s1")
	})
	daemon(t, root, "scheduler", "--id", "s2")
	daemon(t, root, "worker", "--id", "w1")
	waitFor(t, 20*time.Second, "s2 stands by", func() bool {
		return strings.Contains(drover(t, root, "leader").stdout, "s2")
	})
	if r := drover(t, root, "submit", "--wait", "--", "echo", "before"); r.stdout != "before\n" {
		t.Fatalf("before: %+v", r)
	}
	_ = syscall.Kill(s1.Process.Pid, syscall.SIGKILL)
	// The standby takes over within the session timeout (2s here) and runs new work.
	r := drover(t, root, "submit", "--wait", "--", "echo", "after")
	if r.code != 0 || r.stdout != "after\n" {
		t.Fatalf("after failover: %+v", r)
	}
	var l map[string]any
	if err := json.Unmarshal([]byte(drover(t, root, "leader", "-o", "json").stdout), &l); err != nil {
		t.Fatal(err)
	}
	if l["id"] != "s2" || l["epoch"].(float64) < 2 {
		t.Fatalf("leader after failover: %v", l)
	}
}

func TestWorkerKillMinus9RunsElsewhere(t *testing.T) {
	root := newRoot()
	daemon(t, root, "scheduler", "--id", "s1")
	doomed := daemon(t, root, "worker", "--id", "doomed", "--capacity", "1")
	marker := filepath.Join(t.TempDir(), "started")
	r := drover(t, root, "submit", "--shell", "--", `[ "$DROVER_WORKER_ID" = spare ] && echo ran-on-spare || { touch `+marker+`; exec sleep 60; }`)
	id := strings.TrimSpace(r.stdout)
	waitFor(t, 20*time.Second, "running on doomed", func() bool { _, err := os.Stat(marker); return err == nil })
	_ = syscall.Kill(doomed.Process.Pid, syscall.SIGKILL)
	daemon(t, root, "worker", "--id", "spare", "--capacity", "1")
	r = drover(t, root, "wait", id)
	if r.code != 0 {
		t.Fatalf("wait: %+v", r)
	}
	var task map[string]any
	if err := json.Unmarshal([]byte(drover(t, root, "status", "-o", "json", id).stdout), &task); err != nil {
		t.Fatal(err)
	}
	if task["worker"] != "spare" || task["attempt"] != float64(2) || task["stdout"] != "ran-on-spare\n" {
		t.Fatalf("status: %v", task)
	}
}

func TestWaitUnknownTask(t *testing.T) {
	empty := newRoot()
	makeCluster(t, empty)
	r := drover(t, empty, "wait", "01M87N42QDW6A5132CYFVGQTV0")
	if r.code != 1 || !strings.Contains(r.stderr, "not found") {
		t.Fatalf("wait for an unknown task: %+v", r)
	}
	// status says where such a task may have gone.
	if r := drover(t, empty, "status", "01M87N42QDW6A5132CYFVGQTV0"); r.code != 1 || !strings.Contains(r.stderr, "drover deadletter ls") || strings.Count(strings.TrimSpace(r.stderr), "\n") > 0 {
		t.Fatalf("status of an unknown task: %+v; want one line, exit 1, naming drover deadletter ls", r)
	}
	// Among many (waited for by bucket), an unknown task still fails at once.
	root := newRoot()
	queued := strings.TrimSpace(drover(t, root, "submit", "--", "true").stdout)
	r = drover(t, root, "wait", queued, "01M87N42QDW6A5132CYFVGQTV0")
	if r.code != 1 || !strings.Contains(r.stderr, "01M87N42QDW6A5132CYFVGQTV0 not found") {
		t.Fatalf("wait for a queued and an unknown task: %+v", r)
	}
}

// With nothing to run them, queued tasks outlast --timeout: wait gives up with
// exit 124 and one line saying how many finished, and the tasks stay queued.
func TestWaitTimeout(t *testing.T) {
	root := newRoot()
	a := strings.TrimSpace(drover(t, root, "submit", "--", "true").stdout)
	b := strings.TrimSpace(drover(t, root, "submit", "--", "true").stdout)
	oneLineError(t, drover(t, root, "wait", "--timeout", "300ms", a), 124, "timed out after 300ms: 0 of 1 task(s) finished")
	oneLineError(t, drover(t, root, "wait", "--timeout", "300ms", a, b), 124, "0 of 2 task(s) finished")
	// submit --wait prints the new id on stderr first, then the one error line.
	if r := drover(t, root, "submit", "--wait", "--wait-timeout", "300ms", "--", "true"); r.code != 124 ||
		!strings.HasSuffix(r.stderr, "\ndrover: wait: timed out after 300ms: 0 of 1 task(s) finished\n") {
		t.Fatalf("submit --wait --wait-timeout: %+v", r)
	}
	if r := drover(t, root, "cancel", b); r.code != 0 {
		t.Fatalf("cancel: %+v", r)
	}
	oneLineError(t, drover(t, root, "wait", "--timeout", "3s", a, b), 124, "1 of 2 task(s) finished")
	oneLineError(t, drover(t, root, "wait", "--timeout", "-1s", a), 2, "--timeout")
	oneLineError(t, drover(t, root, "submit", "--wait-timeout", "1s", "--", "true"), 2, "--wait-timeout needs --wait")
	if r := drover(t, root, "status", "-o", "json", a); r.code != 0 || !strings.Contains(r.stdout, `"state": "queued"`) {
		t.Fatalf("status after a timed-out wait: %+v", r)
	}
}

func TestCancelAndRetry(t *testing.T) {
	root := newRoot()
	// Queued (no scheduler yet): cancel removes it from the queue.
	queued := strings.TrimSpace(drover(t, root, "submit", "--", "true").stdout)
	if r := drover(t, root, "cancel", queued); r.code != 0 || r.stdout != "cancelled "+queued+"\n" {
		t.Fatalf("cancel queued: %+v", r)
	}
	if r := drover(t, root, "cancel", queued); r.code != 1 || !strings.Contains(r.stderr, "already finished") {
		t.Fatalf("cancel twice: %+v", r)
	}
	// wait says it once: it said "task X cancelled: cancelled" (Found by review.)
	if r := drover(t, root, "wait", queued); r.code != 1 || r.stderr != "drover: task "+queued+" cancelled\n" {
		t.Fatalf("wait on a cancelled task: %+v", r)
	}
	// A task cancelled with retries left, then retried, gets one attempt,
	// not its retries back.
	once := strings.TrimSpace(drover(t, root, "submit", "--retries", "2", "--shell", "--", "exit 4").stdout)
	if r := drover(t, root, "cancel", once); r.code != 0 {
		t.Fatalf("cancel: %+v", r)
	}
	daemon(t, root, "scheduler", "--id", "s1")
	daemon(t, root, "worker", "--id", "w1")
	// Running: the worker kills the process and reports nothing.
	dir := t.TempDir()
	running := strings.TrimSpace(drover(t, root, "submit", "--shell", "--", "echo $$ > "+dir+"/pid; exec sleep 60").stdout)
	var pid int
	waitFor(t, 20*time.Second, "task running", func() bool {
		data, err := os.ReadFile(dir + "/pid")
		if err != nil {
			return false
		}
		_, err = fmt.Sscan(string(data), &pid)
		return err == nil
	})
	if r := drover(t, root, "cancel", running); r.code != 0 {
		t.Fatalf("cancel running: %+v", r)
	}
	waitFor(t, 10*time.Second, "process killed", func() bool { return syscall.Kill(pid, 0) != nil })
	var task map[string]any
	if err := json.Unmarshal([]byte(drover(t, root, "status", "-o", "json", running).stdout), &task); err != nil {
		t.Fatal(err)
	}
	if task["state"] != "cancelled" {
		t.Fatalf("status after cancel: %v", task)
	}
	if r := drover(t, root, "wait", running); r.code != 1 {
		t.Fatalf("wait on a cancelled task: %+v", r)
	}
	// Retry: a dead task gets one more attempt; a marker makes it succeed.
	marker := filepath.Join(dir, "ok")
	dead := strings.TrimSpace(drover(t, root, "submit", "--retries", "1", "--shell", "--", "[ -e "+marker+" ]").stdout)
	r := drover(t, root, "wait", dead)
	if err := json.Unmarshal([]byte(drover(t, root, "status", "-o", "json", dead).stdout), &task); err != nil || task["state"] != "dead" {
		t.Fatalf("want dead after retries: %v %+v", task, r)
	}
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := drover(t, root, "retry", dead); r.code != 0 {
		t.Fatalf("retry: %+v", r)
	}
	if r := drover(t, root, "wait", dead); r.code != 0 {
		t.Fatalf("wait after retry: %+v", r)
	}
	if err := json.Unmarshal([]byte(drover(t, root, "status", "-o", "json", dead).stdout), &task); err != nil ||
		task["state"] != "succeeded" || task["attempt"] != float64(3) {
		t.Fatalf("after retry: %v", task)
	}
	if r := drover(t, root, "retry", dead); r.code != 1 {
		t.Fatalf("retry of a succeeded task: %+v", r)
	}
	if r := drover(t, root, "retry", once); r.code != 0 {
		t.Fatalf("retry of a cancelled task: %+v", r)
	}
	if r := drover(t, root, "wait", once); r.code != 4 {
		t.Fatalf("wait after retry: %+v", r)
	}
	var retried map[string]any
	if err := json.Unmarshal([]byte(drover(t, root, "status", "-o", "json", once).stdout), &retried); err != nil ||
		retried["attempts"] != float64(1) || retried["state"] != "failed" {
		t.Fatalf("a retried cancelled task ran more than once: %v", retried)
	}
}

func TestGracefulStops(t *testing.T) {
	root := newRoot()
	s1 := daemon(t, root, "scheduler", "--id", "s1")
	waitFor(t, 20*time.Second, "s1 leads", func() bool {
		return strings.Contains(drover(t, root, "leader").stdout, "s1")
	})
	daemon(t, root, "scheduler", "--id", "s2")
	w1 := daemon(t, root, "worker", "--id", "w1", "--capacity", "2")
	dir := t.TempDir()
	gate := filepath.Join(dir, "gate")
	slow := strings.TrimSpace(drover(t, root, "submit", "--shell", "--", "touch "+dir+"/started; while [ ! -e "+gate+" ]; do sleep 0.02; done; echo finished").stdout)
	waitFor(t, 20*time.Second, "slow task running", func() bool { _, err := os.Stat(dir + "/started"); return err == nil })

	// SIGTERM on the worker drains: it takes no new work, the running attempt
	// finishes and is reported, then the worker exits.
	_ = syscall.Kill(w1.Process.Pid, syscall.SIGTERM)
	waitFor(t, 10*time.Second, "w1 marked draining", func() bool {
		var ws []map[string]any
		_ = json.Unmarshal([]byte(drover(t, root, "workers", "-o", "json").stdout), &ws)
		return len(ws) == 1 && ws[0]["draining"] == true
	})
	fresh := strings.TrimSpace(drover(t, root, "submit", "--", "sh", "-c", "echo $DROVER_WORKER_ID").stdout)
	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := drover(t, root, "wait", slow); r.code != 0 {
		t.Fatalf("the draining worker's attempt: %+v", r)
	}
	waitFor(t, 10*time.Second, "w1 exits", func() bool { return syscall.Kill(w1.Process.Pid, 0) != nil })
	daemon(t, root, "worker", "--id", "w2")
	if r := drover(t, root, "wait", fresh); r.code != 0 {
		t.Fatalf("fresh task: %+v", r)
	}
	if r := drover(t, root, "logs", fresh); r.stdout != "w2\n" {
		t.Fatalf("fresh task ran on %q; a draining worker must get no new work", r.stdout)
	}

	// SIGTERM on the leader resigns: the standby leads well before any session
	// timeout would pass.
	start := time.Now()
	_ = syscall.Kill(s1.Process.Pid, syscall.SIGTERM)
	waitFor(t, 10*time.Second, "s2 leads", func() bool {
		var l map[string]any
		_ = json.Unmarshal([]byte(drover(t, root, "leader", "-o", "json").stdout), &l)
		return l["id"] == "s2"
	})
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Logf("handover took %v", d) // reported, not asserted: timing on a busy machine
	}
	if r := drover(t, root, "submit", "--wait", "--", "echo", "ok"); r.stdout != "ok\n" {
		t.Fatalf("after handover: %+v", r)
	}
}

func TestScheduleBadInputExits2(t *testing.T) {
	root := newRoot()
	for _, args := range [][]string{
		{"schedule", "add", "../x", "--cron", "* * * * *", "--", "true"},
		{"schedule", "add", "a b", "--cron", "* * * * *", "--", "true"},
		{"schedule", "add", "x\x01", "--cron", "* * * * *", "--", "true"},
		{"schedule", "add", "x", "--cron", "61 * * * *", "--", "true"},
		{"schedule", "add", "x", "--cron", "* * *", "--", "true"},
		{"schedule", "add", "x", "--cron", "0 2 * * *", "--tz", "Mars/Olympus", "--", "true"},
		{"schedule", "add", "x", "--cron", "@hourly", "--catchup", "some", "--", "true"},
		{"schedule", "add", "x", "--cron", "@hourly", "--concurrency", "maybe", "--", "true"},
		{"schedule", "add", "x", "--cron", "@hourly"},
		{"schedule", "add", "x", "--", "true"},
		{"schedule", "get", "../x"},
		{"schedule", "bogus"},
	} {
		r := drover(t, root, args...)
		if r.code != 2 || strings.Count(strings.TrimRight(r.stderr, "\n"), "\n") != 0 {
			t.Errorf("%q: exit %d, stderr %q; want 2 and one line", args, r.code, r.stderr)
		}
	}
	if r := drover(t, root, "schedule", "ls", "-o", "json"); strings.TrimSpace(r.stdout) != "[]" && !strings.Contains(r.stderr, "no Drover cluster") {
		t.Fatalf("bad input created schedules: %+v", r)
	}
}

// TestScheduleAcrossLeaderKill runs a per-second schedule with catch-up all
// while the leader is killed with -9: every slot in the window runs exactly
// once, none after pause. Fire delays are reported, not asserted (a benchmark
// measures them).
func TestScheduleAcrossLeaderKill(t *testing.T) {
	root := newRoot()
	s1 := daemon(t, root, "scheduler", "--id", "s1")
	waitFor(t, 20*time.Second, "s1 leads", func() bool {
		return strings.Contains(drover(t, root, "leader").stdout, "s1")
	})
	daemon(t, root, "scheduler", "--id", "s2")
	daemon(t, root, "worker", "--id", "w1", "--capacity", "8")
	ticks := filepath.Join(t.TempDir(), "ticks")
	r := drover(t, root, "schedule", "add", "tick", "--cron", "* * * * * *", "--catchup", "all", "--shell", "--",
		`echo "$DROVER_SLOT $(date +%s.%N) $DROVER_SCHEDULE" >> `+ticks)
	if r.code != 0 {
		t.Fatalf("schedule add: %+v", r)
	}
	readTicks := func() map[int64][]float64 {
		data, _ := os.ReadFile(ticks)
		out := map[int64][]float64{}
		for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			var slot int64
			var at float64
			var name string
			if n, _ := fmt.Sscan(line, &slot, &at, &name); n == 3 && name == "tick" {
				out[slot] = append(out[slot], at)
			}
		}
		return out
	}
	waitFor(t, 20*time.Second, "3 slots before the kill", func() bool { return len(readTicks()) >= 3 })
	killed := time.Now()
	_ = syscall.Kill(s1.Process.Pid, syscall.SIGKILL)
	waitFor(t, 30*time.Second, "slots after the takeover", func() bool {
		for slot := range readTicks() {
			if slot > killed.Unix()+8 {
				return true
			}
		}
		return false
	})
	if r := drover(t, root, "schedule", "pause", "tick"); r.code != 0 {
		t.Fatalf("pause: %+v", r)
	}
	paused := time.Now()
	// Whatever was fired before the pause finishes; nothing fires after it.
	time.Sleep(2 * time.Second) // observation window for "nothing after pause", not synchronisation
	got := readTicks()
	var first, last int64 = 1 << 62, 0
	var delays []float64
	for slot, ats := range got {
		first, last = min(first, slot), max(last, slot)
		if len(ats) != 1 {
			t.Errorf("slot %d ran %d times", slot, len(ats))
		}
		if slot > paused.Unix() {
			t.Errorf("slot %d ran after the pause at %v", slot, paused)
		}
		if slot < killed.Unix()-1 || slot > killed.Unix()+5 {
			delays = append(delays, (ats[0]-float64(slot))*1000)
		}
	}
	for s := first; s <= last; s++ {
		if len(got[s]) == 0 {
			t.Errorf("slot %d never ran (window %d..%d)", s, first, last)
		}
	}
	sort.Float64s(delays)
	if len(delays) > 0 {
		t.Logf("%d slots; start delay away from the failover: p50 %.0f ms, max %.0f ms",
			last-first+1, delays[len(delays)/2], delays[len(delays)-1])
	}
	var hist map[string]any
	if err := json.Unmarshal([]byte(drover(t, root, "schedule", "history", "tick", "-o", "json").stdout), &hist); err != nil {
		t.Fatal(err)
	}
	succeeded, active, failed := len(hist["succeeded"].([]any)), len(hist["active"].([]any)), len(hist["failed"].([]any))
	if succeeded > 10 || failed != 0 || succeeded+active < min(10, len(got)) {
		t.Errorf("history: %d succeeded (limit 10), %d active, %d failed, of %d runs", succeeded, active, failed, len(got))
	}
}

func TestZooKeeperCredentials(t *testing.T) {
	root := newRoot()
	run := func(auth string, args ...string) result {
		t.Helper()
		cmd := exec.Command(binary, append([]string{"--zk", zkAddr, "--root", root, "--session-timeout", "2s"}, args...)...)
		cmd.Env = append(os.Environ(), "DROVER_ZK_AUTH="+auth)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		return result{code: code, stdout: out.String(), stderr: errb.String()}
	}
	r := run("alice:s3cret", "submit", "--", "true")
	if r.code != 0 {
		t.Fatalf("submit with credentials: %+v", r)
	}
	id := strings.TrimSpace(r.stdout)
	if r := run("alice:s3cret", "status", id); r.code != 0 {
		t.Fatalf("status with credentials: %+v", r)
	}
	for _, auth := range []string{"", "mallory:guess"} {
		r := run(auth, "status", id)
		if r.code != 1 || !strings.Contains(r.stderr, "DROVER_ZK_AUTH") || strings.Contains(r.stderr, "s3cret") {
			t.Fatalf("auth %q: %+v", auth, r)
		}
		// Credentials given and wrong are said to be refused, not missing.
		if given := strings.Contains(r.stderr, "with the credentials of DROVER_ZK_AUTH"); given != (auth != "") || strings.Contains(r.stderr, "guess") {
			t.Fatalf("auth %q: %q: want it to say whether the credentials given were refused", auth, r.stderr)
		}
	}
	if r := run("no-colon", "workers"); r.code != 2 || strings.Contains(r.stderr, "no-colon") {
		t.Fatalf("bad credentials: %+v (must exit 2 without echoing them)", r)
	}
}

// makeCluster creates the znodes of a cluster at root, as the first
// scheduler, worker or submit does, and nothing else.
func makeCluster(t *testing.T, root string) {
	t.Helper()
	openStore(t, root).Close()
}

// assertNothingWritten checks that bad input left root as it was: no cluster
// there at all, or one with no tasks.
func assertNothingWritten(t *testing.T, root string) {
	t.Helper()
	r := drover(t, root, "ls", "-o", "json")
	if !(r.code == 0 && strings.TrimSpace(r.stdout) == "[]") && !(r.code == 1 && strings.Contains(r.stderr, "no Drover cluster")) {
		t.Fatalf("ls after bad input: %+v", r)
	}
}

// Each attempt keeps the end of its own output: logs --attempt N shows an
// earlier, failed attempt's, which the result (the last attempt's) used to
// lose.
func TestLogsOfAnAttempt(t *testing.T) {
	root := newRoot()
	daemon(t, root, "scheduler", "--id", "s1")
	daemon(t, root, "worker", "--id", "w1")
	flag := filepath.Join(t.TempDir(), "ran")
	script := `if [ -e ` + flag + ` ]; then echo second; else touch ` + flag + `; echo first; echo oops >&2; exit 1; fi`
	r := drover(t, root, "submit", "--wait", "--retries", "1", "--", "sh", "-c", script)
	if r.code != 0 || r.stdout != "second\n" {
		t.Fatalf("submit --wait: %+v", r)
	}
	id := strings.TrimSpace(r.stderr)
	for _, c := range []struct {
		args           []string
		stdout, stderr string
	}{
		{[]string{"--attempt", "1"}, "first\n", "oops\n"},
		{[]string{"--attempt", "2"}, "second\n", ""},
		{nil, "second\n", ""},
	} {
		if r := drover(t, root, append([]string{"logs", id}, c.args...)...); r.code != 0 || r.stdout != c.stdout || r.stderr != c.stderr {
			t.Errorf("logs %v: %+v", c.args, r)
		}
	}
	oneLineError(t, drover(t, root, "logs", id, "--attempt", "3"), 1, "no finished attempt 3")
	oneLineError(t, drover(t, root, "logs", id, "--attempt", "-1"), 2, "--attempt")

	// A result holds its last attempt's output (the history does not hold
	// it twice); drover retry puts its end back into the history.
	r = drover(t, root, "submit", "--wait", "--", "sh", "-c", `echo "run $DROVER_ATTEMPT"; exit 1`)
	if r.code != 1 || r.stdout != "run 1\n" {
		t.Fatalf("submit --wait: %+v", r)
	}
	id = strings.TrimSpace(r.stderr)
	if r := drover(t, root, "retry", id); r.code != 0 {
		t.Fatalf("retry: %+v", r)
	}
	if r := drover(t, root, "wait", id); r.code != 1 {
		t.Fatalf("wait: %+v", r)
	}
	for attempt, want := range map[string]string{"1": "run 1\n", "2": "run 2\n"} {
		if r := drover(t, root, "logs", id, "--attempt", attempt); r.code != 0 || r.stdout != want {
			t.Errorf("logs --attempt %s after a retry: %+v", attempt, r)
		}
	}
}

func TestGarbageIsQuarantined(t *testing.T) {
	root := newRoot()
	daemon(t, root, "scheduler", "--id", "s1")
	daemon(t, root, "worker", "--id", "w1")
	waitFor(t, 20*time.Second, "w1 registered", func() bool {
		return strings.Contains(drover(t, root, "workers").stdout, "w1")
	})
	st := openStore(t, root)
	lay := st.Layout()
	for _, p := range []string{lay.Worker("intruder"), lay.Schedule("junk"), lay.WorkerTasks("w1") + "/garbage.1"} {
		if err := st.Create(p, []byte("\x00 not a drover record")); err != nil {
			t.Fatal(err)
		}
	}
	if r := drover(t, root, "submit", "--wait", "--", "echo", "still working"); r.code != 0 || r.stdout != "still working\n" {
		t.Fatalf("cluster stopped working: %+v", r)
	}
	waitFor(t, 20*time.Second, "3 records in deadletter", func() bool {
		var list []map[string]any
		_ = json.Unmarshal([]byte(drover(t, root, "deadletter", "ls", "-o", "json").stdout), &list)
		return len(list) == 3
	})
	r := drover(t, root, "deadletter", "ls")
	for _, from := range []string{"/workers/intruder", "/schedules/junk", "/tasks/w1/garbage.1"} {
		if !strings.Contains(r.stdout, from) {
			t.Errorf("deadletter ls lacks %s:\n%s", from, r.stdout)
		}
	}
	r = drover(t, root, "deadletter", "ls", "--limit", "2")
	if lines := strings.Split(strings.TrimSpace(r.stdout), "\n"); r.code != 0 || len(lines) != 3 ||
		!strings.Contains(r.stderr, "the newest 2 of 3 records") {
		t.Errorf("deadletter ls --limit 2: %+v", r)
	}
	if r := drover(t, root, "deadletter", "ls", "--limit", "-1"); r.code != 2 {
		t.Errorf("deadletter ls --limit -1: %+v", r)
	}
}

func TestTLSFlags(t *testing.T) {
	dir := t.TempDir()
	files, err := zkserver.GenerateTLS(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := zkserver.Start(ctx, zkserver.Config{TLS: &files})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	run := func(args ...string) result {
		t.Helper()
		out, err := exec.Command(binary, args...).CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		return result{code: code, stdout: string(out)}
	}
	if r := run("--zk", srv.SecureAddr(), "--zk-tls-ca", files.CA, "submit", "--", "true"); r.code != 0 {
		t.Fatalf("submit over TLS: %+v", r)
	}
	if r := run("--zk", srv.SecureAddr(), "--zk-tls-ca", filepath.Join(dir, "missing.pem"), "workers"); r.code != 2 {
		t.Fatalf("missing CA file: %+v", r)
	}
	if r := run("--zk", srv.SecureAddr(), "--zk-tls-cert", files.KeyStore, "workers"); r.code != 2 {
		t.Fatalf("cert without key: %+v", r)
	}
	// TLS to the plain port: the handshake's failure is named, not a
	// server that does not run.
	if r := run("--zk", srv.Addr(), "--zk-tls-ca", files.CA, "--session-timeout", "2s", "workers"); r.code != 1 ||
		strings.Count(r.stdout, "\n") != 1 || strings.Contains(r.stdout, "is it running") || !strings.Contains(r.stdout, "TLS handshake") {
		t.Fatalf("TLS to the plain port: %+v", r)
	}

	// drover bench reaches such an ensemble, with credentials, as every
	// command does, and so do the processes it starts; it leaves nothing.
	authFile := filepath.Join(dir, "zk-auth")
	if err := os.WriteFile(authFile, []byte("bench:s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fig := runBench(t, ctx, "--zk", srv.SecureAddr(), "--zk-tls-ca", files.CA, "--zk-auth-file", authFile,
		"-o", "json", "bench", "--duration", "1s", "--tasks", "100", "--cli-tasks", "50", "--cron-fanout", "20")
	for _, k := range []string{"zk_raw_creates_per_s", "tasks_per_s", "failover_ms", "cli_tasks_per_s"} {
		if v, ok := fig[k].(float64); !ok || v <= 0 {
			t.Errorf("%s = %v over TLS, want a positive figure", k, fig[k])
		}
	}
	assertNoBenchRoots(t, srv.Addr()) // its plain port
}

func TestConfigFile(t *testing.T) {
	root := newRoot()
	cfg := filepath.Join(t.TempDir(), "drover.yaml")
	if err := os.WriteFile(cfg, []byte("zk: 127.0.0.1:1\nroot: "+root+"\nworker:\n  capacity: 3\n  label: [zone=test]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The flag beats the file's unreachable zk.
	cmd := exec.Command(binary, "--config", cfg, "--zk", zkAddr, "--session-timeout", "2s", "worker", "--id", "wf")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); _ = cmd.Wait() }()
	waitFor(t, 20*time.Second, "worker from the config file", func() bool {
		var ws []map[string]any
		_ = json.Unmarshal([]byte(drover(t, root, "workers", "-o", "json").stdout), &ws)
		return len(ws) == 1 && ws[0]["capacity"] == float64(3) && fmt.Sprint(ws[0]["labels"]) == "map[zone:test]"
	})
	// DROVER_ZK_AUTH beats a zk-auth-file the file names (here one that
	// does not exist, which would fail the command).
	authCfg := filepath.Join(t.TempDir(), "auth.yaml")
	if err := os.WriteFile(authCfg, []byte("zk-auth-file: /nonexistent/drover-auth\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := droverEnv(t, newRoot(), "", []string{"DROVER_ZK_AUTH=drover:secret"}, "--config", authCfg, "submit", "--", "true"); r.code != 0 {
		t.Fatalf("DROVER_ZK_AUTH with a file's zk-auth-file: %+v", r)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	_ = os.WriteFile(bad, []byte("zk: [\n"), 0o644)
	for _, c := range []string{bad, filepath.Join(t.TempDir(), "missing.yaml")} {
		if r := drover(t, root, "--config", c, "workers"); r.code != 2 {
			t.Fatalf("config %s: %+v", c, r)
		}
	}
}

// TestCommandGivesUpWhenZooKeeperGoes: a command whose server goes away
// ends, with one line, a session timeout later. It waited for the server's
// return, and `submit -f` sat silent for ten minutes.
func TestCommandGivesUpWhenZooKeeperGoes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := zkserver.Start(ctx, zkserver.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	args := []string{"--zk", srv.Addr(), "--root", newRoot(), "--session-timeout", "2s"}
	id, err := exec.CommandContext(ctx, binary, append(args, "submit", "--", "true")...).Output()
	if err != nil {
		t.Fatal(err)
	}
	fourLetters := func(cmd string) string {
		c, err := net.Dial("tcp", srv.Addr())
		if err != nil {
			return ""
		}
		defer c.Close()
		_, _ = c.Write([]byte(cmd))
		data, _ := io.ReadAll(c)
		return string(data)
	}
	// The sessions the server lists (a closed one may linger a moment).
	sessions := func() map[string]bool {
		out := map[string]bool{}
		for _, part := range strings.Split(fourLetters("cons"), "sid=")[1:] {
			sid, _, _ := strings.Cut(part, ",")
			out[sid] = true
		}
		return out
	}
	before := sessions()
	cmd := exec.CommandContext(ctx, binary, append(args, "wait", strings.TrimSpace(string(id)))...) // no worker: waits
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ended := make(chan error, 1)
	go func() { ended <- cmd.Wait() }()
	// Waiting: its session watches the result (a read cut short by the
	// server's end fails at once, as it should, and tests nothing here).
	waitFor(t, 20*time.Second, "wait to watch the result", func() bool {
		watches := fourLetters("wchc")
		for sid := range sessions() {
			if !before[sid] && strings.Contains(watches, sid+"\n") {
				return true
			}
		}
		return false
	})
	srv.Stop()
	select {
	case err := <-ended:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 || strings.Count(stderr.String(), "\n") != 1 ||
			!strings.Contains(stderr.String(), "no session with ZooKeeper at "+srv.Addr()) {
			t.Fatalf("wait after the server went: %v %q", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("wait still running 30 s after its server went")
	}
}
