package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
)

// TestReview137SubmitInterruptedLeavesItsCopy: submit -f - from a pipe
// keeps what it reads in $TMPDIR/drover-submit-N.jsonl (since 9b93ffc),
// removed by a deferred close. The copy (made as the check reads since
// 335cf5a) lasts as long as the pipe's writer does (`gen | drover submit -f -`, or
// stdin a terminal): a Ctrl-C (SIGINT) or SIGTERM then is not caught (the
// signal context is set up only once the check is done, in withClient),
// the process dies at once and the copy stays in $TMPDIR, tasks, their
// environments and all, one more file at every interrupted submit. The copy
// should be unlinked as soon as it is made (it is read through its open
// descriptor), or the signals caught from the start.
func TestReview137SubmitInterruptedLeavesItsCopy(t *testing.T) {
	root := newRoot()
	tmp := t.TempDir()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pw.Close()
	cmd := exec.Command(binary, "--zk", zkAddr, "--root", root, "--session-timeout", "2s", "submit", "-f", "-")
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	cmd.Stdin = pr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pr.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		select {
		case <-done:
		default:
			cmd.Process.Kill()
			<-done
		}
	}()
	if _, err := pw.WriteString(`{"cmd":["true"],"env":{"TOKEN":"s3cret"}}` + "\n"); err != nil {
		t.Fatal(err)
	}
	// The check has read the line once it is in the copy, which the
	// process holds open (unlinked since review137, so found by its fd).
	waitFor(t, 30*time.Second, "the line kept in $TMPDIR", func() bool {
		fds := fmt.Sprintf("/proc/%d/fd", cmd.Process.Pid)
		ents, _ := os.ReadDir(fds)
		for _, e := range ents {
			to, err := os.Readlink(filepath.Join(fds, e.Name()))
			if err != nil || !strings.HasPrefix(to, filepath.Join(tmp, "drover-submit-")) {
				continue
			}
			if fi, err := os.Stat(filepath.Join(fds, e.Name())); err == nil && fi.Size() > 0 {
				return true
			}
		}
		return false
	})
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	// Not waited for without end: a process started with SIGINT ignored
	// (the tests run in the background of a non-interactive shell) keeps
	// it ignored until its signal context is set up, after the check, and
	// the package hung on this receive until its -timeout.
	werr, ok := drovertest.Received(done, 20*time.Second)
	if !ok {
		t.Fatal("submit -f - still running 20 s after SIGINT (is SIGINT ignored where the tests run?)")
	}
	done <- werr
	if left, _ := filepath.Glob(filepath.Join(tmp, "drover-submit-*")); len(left) != 0 {
		t.Errorf("interrupted (%v): its copy of the input is left in $TMPDIR: %v", werr, left)
	}
}
