package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/drover-sched/drover/zkserver"
)

// drover dev catches SIGPIPE so that a closed stdout (`drover dev | tee
// log`, tee gone; `drover dev | head`) does not kill it before it cleans
// up: its stdout is a log, and losing it loses no result. The new
// checkedWriter on every command's stdout turns that into a failure: dev,
// stopped with Ctrl-C after a clean shut-down, exits 1 "drover: write
// /dev/stdout: broken pipe", where it exited 0 before (ac16a96). A script
// or supervisor that checks dev's exit now sees a failed stop.
func TestReview134DevStoppedExits0WithItsStdoutClosed(t *testing.T) {
	port, err := zkserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, "--root", newRoot(), "dev", "--zk-port", fmt.Sprint(port), "--schedulers", "1", "--workers", "1")
	cmd.Env = append(os.Environ(), "TMPDIR="+t.TempDir())
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = w, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	})
	sc := bufio.NewScanner(r)
	up := false
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "Press Ctrl-C") {
			up = true
			break
		}
	}
	if !up {
		t.Fatalf("drover dev did not come up: %s", stderr.String())
	}
	r.Close() // the reader is gone
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
	case <-time.After(90 * time.Second):
		t.Fatalf("drover dev still running 90s after Ctrl-C")
	}
	if code := cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("drover dev stopped by Ctrl-C with its stdout closed (| tee, tee gone): exit %d, stderr %q; want 0 as before: its log, not a result, was lost",
			code, strings.TrimSpace(stderr.String()))
	}
}
