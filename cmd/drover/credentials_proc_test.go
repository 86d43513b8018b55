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
	if got := authReadByACommand(t, root, "$PPID"); strings.Contains(got, "s3cret") {
		t.Fatalf("a command read its worker's ZooKeeper credentials from /proc/$PPID/environ: %q", got)
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
	pid := fmt.Sprint(sched.Process.Pid)
	if got := authReadByACommand(t, root, pid); strings.Contains(got, "s3cret") {
		t.Fatalf("a command read the scheduler's ZooKeeper credentials from /proc/%s/environ: %q", pid, got)
	}
}

// authReadByACommand runs a command on root's worker, which runs as nobody,
// that prints the DROVER_ZK_AUTH line of /proc/<pid>/environ (pid may be
// a shell expression: $PPID); it returns what the command printed after
// its uid, having checked that it ran as nobody.
func authReadByACommand(t *testing.T, root, pid string) string {
	t.Helper()
	r := drover(t, root, "submit", "--wait", "--shell", "--",
		fmt.Sprintf(`id -u; tr '\0' '\n' < /proc/%s/environ | grep '^DROVER_ZK_AUTH=' || true`, pid))
	if r.code != 0 {
		t.Fatalf("submit --wait: %+v", r)
	}
	uid, rest, _ := strings.Cut(r.stdout, "\n")
	if uid != "65534" {
		t.Fatalf("the command ran as %q, want nobody (65534)", uid)
	}
	return strings.TrimSpace(rest)
}
