package main

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
	"testing"
)

// stopChildren no longer SIGTERMs a child already reaped ("its pid may be
// another process's by now"), but it still SIGKILLs the process group of
// that old pid. A dev child's group holds only the child (a worker's
// commands get groups of their own), so once the child is reaped its group
// is empty and the number free: a process that since got the pid and leads
// its own group (a shell job, a task of another dev worker) is killed on
// Ctrl-C. The stranger here stands for that process: the reaped child's
// recorded pid is its.
func TestStopChildrenLeavesTheGroupOfAReapedChildAlone(t *testing.T) {
	stranger := exec.Command("sleep", "60")
	stranger.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // a group leader, as a shell job is
	if err := stranger.Start(); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- stranger.Wait() }()

	gone := exec.Command("true") // a dev child that ended (the tour's kill -9) and was reaped
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	reused, err := os.FindProcess(stranger.Process.Pid) // its pid, now the stranger's
	if err != nil {
		t.Fatal(err)
	}
	gone.Process = reused
	exited := make(chan struct{})
	close(exited)
	stopChildren([]*child{{name: "dev-scheduler-1", cmd: gone, exited: exited}})

	// What ended the stranger: SIGKILL sent by stopChildren, or our SIGTERM.
	_ = stranger.Process.Signal(syscall.SIGTERM)
	err = <-waited
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			t.Fatalf("stopChildren SIGKILLed the process group %d of a child reaped before it ran: an unrelated process's once the pid is reused", stranger.Process.Pid)
		}
	}
}
