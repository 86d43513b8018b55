package main

import (
	"context"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/drover-sched/drover/store"
)

// TestReview201LogsFollowCancelSeesFiledOutput: README, logs -f: "A task
// cancelled while followed gets its last output filed by its worker just
// after the cancel: -f waits up to 2 s for it, and otherwise says it may
// be in the record later". The worker files it within milliseconds, yet
// logs -f always waits the whole 2 s and says it may come later: it reads
// the record again (follower.settled, through f.status) after
// followLogs's withReader has returned and closed its client, so every
// read fails. (submit --follow calls catchUp inside its client and does
// not.)
func TestReview201LogsFollowCancelSeesFiledOutput(t *testing.T) {
	root := newRoot()
	daemon(t, root, "scheduler", "--id", "s1")
	daemon(t, root, "worker", "--id", "w1")
	r := drover(t, root, "submit", "--shell", "--", "echo one; sleep 60")
	if r.code != 0 {
		t.Fatalf("submit: %+v", r)
	}
	id := strings.TrimSpace(r.stdout)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "--zk", zkAddr, "--root", root, "--session-timeout", "2s", "logs", "-f", id)
	var stdout, stderr lockedBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	})
	waitFor(t, 20*time.Second, "logs -f to print the first line", func() bool { return stdout.String() == "one\n" })
	if r := drover(t, root, "cancel", id); r.code != 0 {
		t.Fatalf("cancel: %+v", r)
	}
	var ended time.Time
	select {
	case err := <-done:
		ended = time.Now()
		done <- err // for the cleanup
		if err != nil {
			t.Fatalf("logs -f: %v; stderr %q", err, stderr.String())
		}
	case <-ctx.Done():
		t.Fatalf("logs -f did not end with the cancelled task; stdout %q stderr %q", stdout.String(), stderr.String())
	}

	// When did the worker file the attempt's output (keepCancelledOutput's
	// set of the result), by the server's clock (same host)?
	st := openStore(t, root)
	var filed time.Time
	waitFor(t, 20*time.Second, "the worker to file the cancelled attempt's output", func() bool {
		data, stat, err := st.Get(st.Layout().Result(id))
		if err != nil {
			return false
		}
		rec, err := store.DecodeTaskOf(id, data)
		if err != nil || len(rec.History) == 0 || rec.History[len(rec.History)-1].StdoutBytes == 0 {
			return false
		}
		filed = stat.Mtime
		return true
	})
	if strings.Contains(stderr.String(), "may be filed") && filed.Before(ended.Add(-time.Second)) {
		t.Fatalf("logs -f ended %v after the worker filed the cancelled attempt's output, yet said on stderr %q",
			ended.Sub(filed).Round(time.Millisecond), stderr.String())
	}
}
