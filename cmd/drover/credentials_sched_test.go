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

// Found by review (review25): only the worker makes itself not dumpable.
// The systemd units run the scheduler as the same user as the worker
// (User=drover) and now give both their credentials through
// EnvironmentFile=, and `drover dev` hands its own environment to the
// schedulers and workers it starts: on a host that runs a scheduler beside
// a worker, a command (run as the worker's user, no --run-as) reads
// DROVER_ZK_AUTH from /proc/<scheduler pid>/environ, and acts as the
// cluster's owner. README (Security) says commands cannot read the
// credentials from /proc.
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
