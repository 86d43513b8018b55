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

// README (Sizing ZooKeeper) asks for a maxSessionTimeout at or above
// Drover's --session-timeout, but a daemon whose servers grant another
// timeout than it asked says so nowhere an operator looks: the grant is in
// a debug line of the ZooKeeper client alone. A scheduler asking 5 s of a
// server bounded at 3 s fails over on 3 s (more false failovers), and one
// asking 1 s of configs/zookeeper's (minSessionTimeout=2000) on 2 s, both
// in silence at the default log level. A daemon must log the timeout it
// was granted when it is not the one asked, at warn level. (review204)
func TestDaemonSaysWhenTheGrantedSessionTimeoutDiffers(t *testing.T) {
	srv, err := zkserver.Start(t.Context(), zkserver.Config{MaxSessionTimeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	logf, err := os.Create(filepath.Join(t.TempDir(), "scheduler.log"))
	if err != nil {
		t.Fatal(err)
	}
	s := exec.Command(binary, "--zk", srv.Addr(), "--root", newRoot(), "--session-timeout", "5s", "scheduler", "--id", "s1")
	s.Stdout, s.Stderr = logf, logf
	s.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = s.Wait(); logf.Close(); close(exited) }()
	t.Cleanup(func() { _ = syscall.Kill(-s.Process.Pid, syscall.SIGKILL); <-exited })
	read := func() string { data, _ := os.ReadFile(logf.Name()); return string(data) }
	waitFor(t, 20*time.Second, "the scheduler to lead", func() bool { return strings.Contains(read(), `"elected leader"`) })
	for _, line := range strings.Split(read(), "\n") {
		if strings.Contains(line, `"level":"warn"`) && strings.Contains(line, "5s") && strings.Contains(line, "3s") {
			return
		}
	}
	t.Fatalf("no warning naming the 5s asked and the 3s granted in the scheduler's log:\n%s", lastLines(read(), 20))
}
