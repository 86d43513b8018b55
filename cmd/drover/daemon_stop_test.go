package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/drover-sched/drover/zkserver"
)

// A worker stopped (SIGTERM: systemctl stop) while ZooKeeper is out of
// reach stops within about its --drain-timeout, as README says ("running
// attempts get up to --drain-timeout to finish"; the worker unit's
// TimeoutStopSec of 60 s is sized on the 30 s default). An attempt that
// ends during the drain, while the link is frozen, has its report wait on
// ZooKeeper with no deadline, and the worker's shutdown waits for that
// attempt: with a server that takes connections but does not answer (a
// hung JVM, a full GC, a disk that stalls its fsync) the client's
// handshake waits ten receive timeouts (20/3 of the session timeout: 67 s
// at the default 10 s, past the unit's TimeoutStopSec) before the stop
// goes on.
func TestWorkerStopWithZooKeeperAwayIsBoundedByTheDrain(t *testing.T) {
	const drain, session = time.Second, 2 * time.Second
	root := newRoot()
	srv, err := zkserver.Start(t.Context(), zkserver.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(srv.Pid(), syscall.SIGCONT)
		_ = srv.Stop()
	})
	sched := exec.Command(binary, "--zk", srv.Addr(), "--root", root, "--session-timeout", session.String(), "scheduler", "--id", "s1")
	sched.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := sched.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(-sched.Process.Pid, syscall.SIGKILL); _ = sched.Wait() })

	logf, err := os.Create(filepath.Join(t.TempDir(), "worker.log"))
	if err != nil {
		t.Fatal(err)
	}
	w := exec.Command(binary, "--zk", srv.Addr(), "--root", root, "--session-timeout", session.String(), "--log-level", "debug",
		"worker", "--id", "w1", "--capacity", "1", "--drain-timeout", drain.String())
	w.Stdout, w.Stderr = logf, logf
	w.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = w.Wait(); logf.Close(); close(exited) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-w.Process.Pid, syscall.SIGKILL)
		<-exited
		if t.Failed() {
			data, _ := os.ReadFile(logf.Name())
			t.Logf("worker log:\n%s", lastLines(string(data), 30))
		}
	})

	dir := t.TempDir()
	gate := filepath.Join(dir, "gate")
	r := droverAt(t, srv.Addr(), root, "submit", "--shell", "--", "touch "+dir+"/started; while [ ! -e "+gate+" ]; do sleep 0.02; done")
	if r.code != 0 {
		t.Fatalf("submit: %+v", r)
	}
	waitFor(t, 20*time.Second, "the attempt running", func() bool { _, err := os.Stat(dir + "/started"); return err == nil })

	// ZooKeeper stops answering (its process stopped: connections are
	// still taken), then systemd stops the worker, and the attempt ends
	// within the drain.
	if err := syscall.Kill(srv.Pid(), syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := syscall.Kill(w.Process.Pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	limit := drain + session + 3*time.Second // the drain, a cut-off's kill, slack
	select {
	case <-exited:
		t.Logf("stopped after %v", time.Since(start))
		if d := time.Since(start); d > limit {
			t.Errorf("the worker stopped %v after SIGTERM with --drain-timeout %v, want within %v", d.Round(100*time.Millisecond), drain, limit)
		}
	case <-time.After(90 * time.Second):
		t.Fatalf("the worker still runs 90s after SIGTERM with --drain-timeout %v", drain)
	}
	if out, _ := os.ReadFile(logf.Name()); !strings.Contains(string(out), "draining") {
		t.Fatalf("the worker never drained")
	}
}

// droverAt runs the binary against the ZooKeeper at addr.
func droverAt(t *testing.T, addr, root string, args ...string) result {
	t.Helper()
	out, err := exec.Command(binary, append([]string{"--zk", addr, "--root", root, "--session-timeout", "2s"}, args...)...).Output()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run drover %v: %v", args, err)
	}
	return result{code: code, stdout: string(out)}
}
