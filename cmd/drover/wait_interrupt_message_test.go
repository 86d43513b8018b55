package main

import (
	"bufio"
	"errors"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestInterruptedWaitSaysTheTaskGoesOn: Ctrl-C of a wait (submit --wait,
// wait ID) said "interrupted" alone, though the task goes on: it says so,
// and how to stop it. (review183)
func TestInterruptedWaitSaysTheTaskGoesOn(t *testing.T) {
	root := newRoot()
	r := drover(t, root, "submit", "--", "true") // no scheduler: it stays queued
	if r.code != 0 {
		t.Fatalf("submit: %+v", r)
	}
	id := strings.TrimSpace(r.stdout)
	cmd := exec.Command(binary, "--zk", zkAddr, "--root", root, "wait", id)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 16)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	// Waiting: its hint that no scheduler runs says so.
	select {
	case l := <-lines:
		if !strings.Contains(l, "still waiting") {
			t.Fatalf("wait's first line: %q", l)
		}
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("wait printed no hint")
	}
	_ = cmd.Process.Signal(syscall.SIGINT)
	var last []string
	for l := range lines {
		last = append(last, l)
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("interrupted wait: %v, want exit 130", err)
	}
	if len(last) != 1 || !strings.Contains(last[0], "interrupted") || !strings.Contains(last[0], "goes on") ||
		!strings.Contains(last[0], "drover cancel "+id) {
		t.Errorf("interrupted wait says %q; want one line: interrupted, the task goes on, drover cancel %s stops it", last, id)
	}
}
