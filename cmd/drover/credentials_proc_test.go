package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A worker leaves DROVER_ZK_AUTH (and DROVER_ZK_AUTH_READONLY) out of its
// commands' environment, so that a task that submits work needs
// credentials of its own (README, Security). But a command run without
// --run-as runs as the worker's user, and the worker is its parent:
// /proc/$PPID/environ, which a process of the same user may read, held the
// worker's environment as it started, credentials included, and any
// submitter could act as the cluster's owner. A worker with credentials
// makes itself not dumpable: its /proc files are root's alone. The worker
// runs as nobody here (root reads any process's environ, dumpable or not).
// (Found by security review.)
func TestCommandsCannotReadTheWorkersCredentialsFromProc(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, to run the worker as another user than the test")
	}
	// nobody runs the binary from its build dir.
	if err := os.Chmod(filepath.Dir(binary), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DROVER_ZK_AUTH", "owner:s3cret")
	root := newRoot()
	daemon(t, root, "scheduler", "--id", "s1")
	waitFor(t, 20*time.Second, "s1 leads", func() bool {
		return strings.Contains(drover(t, root, "leader").stdout, "s1")
	})
	daemonAs(t, root, &syscall.Credential{Uid: 65534, Gid: 65534}, "worker", "--id", "w1")
	r := drover(t, root, "submit", "--wait", "--shell", "--", `id -u; tr '\0' '\n' < /proc/$PPID/environ | grep '^DROVER_ZK_AUTH=' || true`)
	if r.code != 0 {
		t.Fatalf("submit --wait: %+v", r)
	}
	if !strings.HasPrefix(r.stdout, "65534") {
		t.Fatalf("the command ran as %q, want nobody (65534)", r.stdout)
	}
	if strings.Contains(r.stdout, "s3cret") {
		t.Fatalf("a command read its worker's ZooKeeper credentials from /proc/$PPID/environ: %q", strings.TrimSpace(r.stdout))
	}
}

// The same of a scheduler run as the worker's user (the systemd units run
// both as drover, and drover dev hands its environment to both): every
// drover process with credentials makes itself not dumpable, where only
// the worker did. (Found by review.)
func TestCommandsCannotReadTheSchedulersCredentialsFromProc(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, to run the daemons as another user than the test")
	}
	if err := os.Chmod(filepath.Dir(binary), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DROVER_ZK_AUTH", "owner:s3cret")
	root := newRoot()
	nobody := &syscall.Credential{Uid: 65534, Gid: 65534}
	sched := daemonAs(t, root, nobody, "scheduler", "--id", "s1")
	waitFor(t, 20*time.Second, "s1 leads", func() bool {
		return strings.Contains(drover(t, root, "leader").stdout, "s1")
	})
	daemonAs(t, root, nobody, "worker", "--id", "w1")
	r := drover(t, root, "submit", "--wait", "--shell", "--",
		fmt.Sprintf(`id -u; tr '\0' '\n' < /proc/%d/environ | grep '^DROVER_ZK_AUTH=' || true`, sched.Process.Pid))
	if r.code != 0 {
		t.Fatalf("submit --wait: %+v", r)
	}
	if !strings.HasPrefix(r.stdout, "65534") {
		t.Fatalf("the command ran as %q, want nobody (65534)", r.stdout)
	}
	if strings.Contains(r.stdout, "s3cret") {
		t.Fatalf("a command read the scheduler's ZooKeeper credentials from /proc/%d/environ: %q", sched.Process.Pid, strings.TrimSpace(r.stdout))
	}
}
