package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/drover-sched/drover/store"
)

// running is a drover command run in the background (logs -f, submit
// --follow), its output read as it comes; killed by its process group
// when the test ends.
type running struct {
	cmd            *exec.Cmd
	stdout, stderr lockedBuffer
	done           chan error
}

// start runs drover args against root in the background.
func start(t *testing.T, root string, args ...string) *running {
	t.Helper()
	r := &running{done: make(chan error, 1)}
	r.cmd = exec.Command(binary, append([]string{"--zk", zkAddr, "--root", root, "--session-timeout", "2s"}, args...)...)
	r.cmd.Stdout, r.cmd.Stderr = &r.stdout, &r.stderr
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.done <- r.cmd.Wait() }()
	t.Cleanup(func() {
		_ = syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
		r.done <- <-r.done
	})
	return r
}

// wait waits up to a minute for the command to end and returns its exit
// code.
func (r *running) wait(t *testing.T) int {
	t.Helper()
	select {
	case err := <-r.done:
		r.done <- err // for the cleanup
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(time.Minute):
		t.Fatalf("%v did not end; stdout %q stderr %q", r.cmd.Args, r.stdout.String(), r.stderr.String())
		return -1
	}
}

// TestLogsFollow: drover logs -f prints a running command's output as it
// comes (each line while the command waits for the next gate), each byte
// once, stdout and stderr apart, and exits 0 when the task ends; its
// follow znode goes with it.
func TestLogsFollow(t *testing.T) {
	root := newRoot()
	daemon(t, root, "scheduler", "--id", "s1")
	daemon(t, root, "worker", "--id", "w1", "--capacity", "2")
	dir := t.TempDir()
	gate1, gate2 := filepath.Join(dir, "gate1"), filepath.Join(dir, "gate2")
	script := "echo one; while [ ! -e " + gate1 + " ]; do sleep 0.02; done; echo two >&2; " +
		"while [ ! -e " + gate2 + " ]; do sleep 0.02; done; echo three"
	r := drover(t, root, "submit", "--shell", "--", script)
	if r.code != 0 {
		t.Fatalf("submit: %+v", r)
	}
	id := strings.TrimSpace(r.stdout)

	lf := start(t, root, "logs", "-f", id)
	stdout, stderr := &lf.stdout, &lf.stderr
	waitFor(t, 20*time.Second, "logs -f to print the first line while the task waits", func() bool { return stdout.String() == "one\n" })
	if err := os.WriteFile(gate1, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "logs -f to print the line on stderr", func() bool { return stderr.String() == "two\n" })
	if stdout.String() != "one\n" {
		t.Fatalf("stdout %q before the last gate; want %q", stdout.String(), "one\n")
	}
	if err := os.WriteFile(gate2, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if code := lf.wait(t); code != 0 {
		t.Fatalf("logs -f: exit %d; stderr %q", code, stderr.String())
	}
	if stdout.String() != "one\nthree\n" || stderr.String() != "two\n" {
		t.Fatalf("logs -f printed stdout %q, stderr %q; want each line once: %q, %q", stdout.String(), stderr.String(), "one\nthree\n", "two\n")
	}
	st := openStore(t, root)
	if ok, _, err := st.Exists(st.Layout().FollowNode(id)); err != nil || ok {
		t.Fatalf("follow znode after logs -f ended: exists %v, %v; want gone", ok, err)
	}

	// Of a task that has ended, -f prints what logs prints.
	if r := drover(t, root, "logs", "-f", id); r.code != 0 || r.stdout != "one\nthree\n" || r.stderr != "two\n" {
		t.Fatalf("logs -f of a finished task: %+v", r)
	}
	oneLineError(t, drover(t, root, "logs", "-f", "--attempt", "1", id), 2, "--attempt")
	oneLineError(t, drover(t, root, "-o", "json", "logs", "-f", id), 2, "-o json")
}

// TestFollowerAcrossAttempts: the printer of logs -f, fed what workers
// publish of a task that failed once and ran again, prints each byte
// once: the end of attempt 1 from its history when attempt 2's output
// comes, a line naming attempt 2, the rest of attempt 2 from the result,
// and says where bytes went by unseen.
func TestFollowerAcrossAttempts(t *testing.T) {
	var out, errOut bytes.Buffer
	history := []store.Attempt{{N: 1, Worker: "w1", ExitCode: 1, Stdout: "a\nb\nc\n", StdoutBytes: 6, Stderr: "bad\n", StderrBytes: 4}}
	f := &follower{out: &out, errOut: &errOut, status: func() (*store.Task, error) {
		return &store.Task{ID: "T", Attempt: 2, State: store.StateRunning, History: history}, nil
	}}
	f.live(&store.LiveOutput{Task: "T", Attempt: 1, Worker: "w1", Stdout: []byte("a\n"), StdoutBytes: 2})
	f.live(&store.LiveOutput{Task: "T", Attempt: 1, Worker: "w1", Stdout: []byte("a\nb\n"), StdoutBytes: 4})
	f.live(&store.LiveOutput{Task: "T", Attempt: 1, Worker: "w1", Stdout: []byte("a\nb\n"), StdoutBytes: 4}) // again: nothing
	f.live(&store.LiveOutput{Task: "T", Attempt: 2, Worker: "w2", Stdout: []byte("x\n"), StdoutBytes: 2})
	f.live(&store.LiveOutput{Task: "T", Attempt: 1, Worker: "w1", Stdout: []byte("late\n"), StdoutBytes: 9}) // the old attempt's: dropped
	// 10 bytes later, only the last 3 of them seen.
	f.live(&store.LiveOutput{Task: "T", Attempt: 2, Worker: "w2", Stdout: []byte("yz\n"), StdoutBytes: 12})
	final := &store.Task{ID: "T", Attempt: 2, State: store.StateSucceeded, Stdout: "0123456yz\nend\n", Stderr: "",
		History: append(history, store.Attempt{N: 2, Worker: "w2", StdoutBytes: 16})}
	f.catchUp(final)
	if want := "a\nb\nc\nx\nyz\nend\n"; out.String() != want {
		t.Fatalf("stdout %q; want %q", out.String(), want)
	}
	if want := "bad\ndrover: attempt 2, on worker w2:\ndrover: [7 bytes of stdout not seen]\n"; errOut.String() != want {
		t.Fatalf("stderr %q; want %q", errOut.String(), want)
	}
}

// TestLogsFollowOfATaskNoWorkerCanRun: logs -f of a task no worker can run
// says why it waits, as wait does, and goes on; Ctrl-C ends it with exit
// 130, and its follow znode goes with it.
func TestLogsFollowOfATaskNoWorkerCanRun(t *testing.T) {
	root := newRoot()
	daemon(t, root, "scheduler", "--id", "s1")
	daemon(t, root, "worker", "--id", "w1", "--label", "zone=earth")
	r := drover(t, root, "submit", "--on", "zone=mars", "--", "true")
	if r.code != 0 {
		t.Fatalf("submit: %+v", r)
	}
	id := strings.TrimSpace(r.stdout)
	lf := start(t, root, "logs", "-f", id)
	stderr := &lf.stderr
	waitFor(t, 20*time.Second, "logs -f to say why the task waits", func() bool { return strings.Contains(stderr.String(), "no registered worker") })
	st := openStore(t, root)
	if ok, _, err := st.Exists(st.Layout().FollowNode(id)); err != nil || !ok {
		t.Fatalf("follow znode while logs -f waits: exists %v, %v", ok, err)
	}
	if err := lf.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := lf.wait(t); code != 130 {
		t.Fatalf("logs -f interrupted: exit %d; stderr %q; want 130", code, stderr.String())
	}
	waitFor(t, 20*time.Second, "the follow znode to go", func() bool {
		ok, _, err := st.Exists(st.Layout().FollowNode(id))
		return err == nil && !ok
	})
}

// TestSubmitFollow: submit --follow prints the task's output as it runs
// (the first line while the command waits for its gate) and exits with
// the task's exit code, each byte once; with -f it is refused, exit 2.
func TestSubmitFollow(t *testing.T) {
	root := newRoot()
	daemon(t, root, "scheduler", "--id", "s1")
	daemon(t, root, "worker", "--id", "w1")
	gate := filepath.Join(t.TempDir(), "gate")
	sf := start(t, root, "submit", "--follow", "--shell", "--",
		"echo one; while [ ! -e "+gate+" ]; do sleep 0.02; done; echo two; echo oops >&2; exit 3")
	stdout, stderr := &sf.stdout, &sf.stderr
	waitFor(t, 20*time.Second, "submit --follow to print the first line while the task waits", func() bool { return stdout.String() == "one\n" })
	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if code := sf.wait(t); code != 3 {
		t.Fatalf("submit --follow: exit %d; stderr %q; want 3, the task's", code, stderr.String())
	}
	// stderr: the id (stdout carries only the task's output, as --wait), then the task's own.
	lines := strings.Split(stderr.String(), "\n")
	if stdout.String() != "one\ntwo\n" || len(lines) != 3 || len(lines[0]) != 26 || lines[1] != "oops" {
		t.Fatalf("submit --follow printed stdout %q, stderr %q; want one/two, and the id then oops", stdout.String(), stderr.String())
	}
	oneLineError(t, drover(t, root, "submit", "--follow", "-f", filepath.Join(t.TempDir(), "none.jsonl")), 2, "--follow")
}

// TestSubmitHandlerTask: submit --handler NAME --payload TEXT (or
// --payload-file) submits a Go handler's task from the command line; the
// wrong mixes are refused, exit 2.
func TestSubmitHandlerTask(t *testing.T) {
	root := newRoot()
	payload := filepath.Join(t.TempDir(), "payload")
	if err := os.WriteFile(payload, []byte("from a file"), 0o644); err != nil {
		t.Fatal(err)
	}
	st := openStore(t, root)
	for _, args := range [][]string{{"--payload", "hello"}, {"--payload-file", payload}} {
		r := drover(t, root, append([]string{"submit", "--handler", "upper"}, args...)...)
		if r.code != 0 {
			t.Fatalf("submit --handler %v: %+v", args, r)
		}
		task, _, err := st.LookupTask(strings.TrimSpace(r.stdout))
		if err != nil {
			t.Fatal(err)
		}
		if want := map[string]string{"--payload": "hello", "--payload-file": "from a file"}[args[0]]; task.Handler != "upper" || string(task.Payload) != want || len(task.Cmd) != 0 {
			t.Fatalf("task of submit --handler upper %v: handler %q payload %q cmd %v", args, task.Handler, task.Payload, task.Cmd)
		}
	}
	oneLineError(t, drover(t, root, "submit", "--handler", "upper", "--", "echo"), 2, "no command after it")
	oneLineError(t, drover(t, root, "submit", "--payload", "x", "--", "echo"), 2, "--handler NAME")
	oneLineError(t, drover(t, root, "submit", "--handler", "upper", "--payload", "x", "--payload-file", payload), 2, "not both")
	oneLineError(t, drover(t, root, "submit", "--handler", "upper", "--payload-file", payload+".none"), 2, "--payload-file")
	oneLineError(t, drover(t, root, "submit", "--handler", "upper", "-f", payload), 2, "--handler describes one task")
	oneLineError(t, drover(t, root, "schedule", "add", "h", "--cron", "0 2 * * *", "--handler", "upper", "--", "echo"), 2, "no command after it")
	if r := drover(t, root, "schedule", "add", "h", "--cron", "0 2 * * *", "--handler", "upper", "--payload", "nightly"); r.code != 0 {
		t.Fatalf("schedule add --handler: %+v", r)
	}
}

// TestWaitFollow: wait --follow ID prints a task submitted before as it
// runs, then exits with its exit code; more than one id is refused, exit 2.
func TestWaitFollow(t *testing.T) {
	root := newRoot()
	daemon(t, root, "scheduler", "--id", "s1")
	daemon(t, root, "worker", "--id", "w1")
	gate := filepath.Join(t.TempDir(), "gate")
	r := drover(t, root, "submit", "--shell", "--", "echo one; while [ ! -e "+gate+" ]; do sleep 0.02; done; echo two; exit 4")
	if r.code != 0 {
		t.Fatalf("submit: %+v", r)
	}
	id := strings.TrimSpace(r.stdout)
	wf := start(t, root, "wait", "--follow", id)
	stdout := &wf.stdout
	waitFor(t, 20*time.Second, "wait --follow to print the first line while the task waits", func() bool { return stdout.String() == "one\n" })
	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if code := wf.wait(t); code != 4 || stdout.String() != "one\ntwo\n" {
		t.Fatalf("wait --follow: exit %d, stdout %q; want 4 and one/two", code, stdout.String())
	}
	oneLineError(t, drover(t, root, "wait", "--follow", id, id), 2, "--follow")
}
