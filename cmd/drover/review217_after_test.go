package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Brief 3 (review217), through processes: a dependency that fails while
// no scheduler leads, and is retried before one does, leaves its waiter
// held, not ended: the leader learns of an end only when it looks, and
// then the task is queued again; the waiter runs once its retry
// succeeded. A waiter cancelled while held, then retried, waits again and
// runs only after its dependency succeeded.
func TestReview217AfterRetriesAndCancels(t *testing.T) {
	root := newRoot()
	dir := t.TempDir()
	gate, ok, adone := filepath.Join(dir, "gate"), filepath.Join(dir, "ok"), filepath.Join(dir, "adone")
	s1 := daemon(t, root, "scheduler", "--id", "s1")
	daemon(t, root, "worker", "--id", "w1", "--capacity", "4")
	submit := func(args ...string) string {
		t.Helper()
		r := drover(t, root, append([]string{"submit"}, args...)...)
		if r.code != 0 {
			t.Fatalf("submit %v: %+v", args, r)
		}
		return strings.TrimSpace(r.stdout)
	}
	touch := func(p string) {
		t.Helper()
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// a: waits for gate, then succeeds (and says so) only once ok exists.
	a := submit("--shell", "--", "while [ ! -e "+gate+" ]; do sleep 0.05; done; [ -e "+ok+" ] && touch "+adone)
	b := submit("--after", a, "--shell", "--", "[ -e "+adone+" ] && echo b")
	c := submit("--after", a, "--shell", "--", "[ -e "+adone+" ] && echo c")
	waitFor(t, 20*time.Second, "a running", func() bool { return strings.Contains(drover(t, root, "status", a).stdout, "running") })
	// c cancelled while held, then retried: held again.
	if r := drover(t, root, "cancel", c); r.code != 0 {
		t.Fatalf("cancel %s (held): %+v", c, r)
	}
	if r := drover(t, root, "retry", c); r.code != 0 {
		t.Fatalf("retry %s (cancelled while held): %+v", c, r)
	}
	if r := drover(t, root, "status", c); !strings.Contains(r.stdout, "for "+a+" (running) to succeed") {
		t.Fatalf("status of a waiter cancelled and retried:\n%s", r.stdout)
	}
	_ = syscall.Kill(s1.Process.Pid, syscall.SIGKILL)
	touch(gate) // a fails with no scheduler leading
	waitFor(t, 20*time.Second, "a failed", func() bool { return strings.Contains(drover(t, root, "status", a).stdout, "failed") })
	if r := drover(t, root, "retry", a); r.code != 0 {
		t.Fatalf("retry %s: %+v", a, r)
	}
	touch(ok)
	daemon(t, root, "scheduler", "--id", "s2")
	for _, id := range []string{b, c} {
		if r := drover(t, root, "wait", id); r.code != 0 {
			t.Fatalf("wait %s, after %s retried and succeeded: %+v\n%s", id, a, r, drover(t, root, "status", id).stdout)
		}
	}
	if r := drover(t, root, "logs", b); r.stdout != "b\n" {
		t.Fatalf("logs %s: %+v", b, r)
	}
	if r := drover(t, root, "logs", c); r.stdout != "c\n" {
		t.Fatalf("logs %s: %+v", c, r)
	}
	if r := drover(t, root, "status", "-o", "json", a); !strings.Contains(r.stdout, `"state":"succeeded"`) && !strings.Contains(r.stdout, `"state": "succeeded"`) {
		t.Fatalf("status of %s:\n%s", a, r.stdout)
	}
}
