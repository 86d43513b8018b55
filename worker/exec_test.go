package worker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// runCmd executes a task directly, without ZooKeeper.
func runCmd(t *testing.T, ctx context.Context, task *store.Task) outcome {
	t.Helper()
	if task.ID == "" {
		task.ID = ulid.Make().String()
	}
	if task.Attempt == 0 {
		task.Attempt = 1
	}
	return execute(ctx, task, "w-exec", store.OutputTail, time.Now, policy{})
}

func TestExecuteOutcomes(t *testing.T) {
	for _, tc := range []struct {
		name     string
		task     store.Task
		code     int
		err      string // prefix of outcome.Err; "" means none
		stdout   string
		ok       bool
		maxTaken time.Duration
	}{
		{name: "success", task: store.Task{Cmd: []string{"echo", "hello"}}, stdout: "hello\n", ok: true},
		{name: "stdin at end", task: store.Task{Cmd: []string{"sh", "-c", "cat; cat; echo read all"}}, stdout: "read all\n", ok: true},
		{name: "exit code", task: store.Task{Cmd: []string{"sh", "-c", "echo out; exit 3"}}, code: 3, stdout: "out\n"},
		{name: "not found", task: store.Task{Cmd: []string{"/nonexistent/program"}}, code: 127, err: "start: "},
		{name: "signal", task: store.Task{Cmd: []string{"kill -TERM $$"}, Shell: true}, code: -1, err: "killed by SIGTERM (terminated)"},
		{name: "timeout", task: store.Task{Cmd: []string{"sleep", "30"}, Timeout: store.MillisOf(200 * time.Millisecond)},
			code: -1, err: "timeout after 200ms", maxTaken: 10 * time.Second},
		{name: "shell joins argv", task: store.Task{Cmd: []string{"echo", "a", "&&", "echo", "b"}, Shell: true}, stdout: "a\nb\n", ok: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			out := runCmd(t, context.Background(), &tc.task)
			if out.ExitCode != tc.code || out.ok() != tc.ok || out.Stdout != tc.stdout {
				t.Fatalf("outcome %+v; want code %d ok %v stdout %q", out, tc.code, tc.ok, tc.stdout)
			}
			if tc.err == "" && out.Err != "" || !strings.HasPrefix(out.Err, tc.err) {
				t.Fatalf("error %q, want prefix %q", out.Err, tc.err)
			}
			if tc.maxTaken > 0 && time.Since(start) > tc.maxTaken {
				t.Fatalf("took %v", time.Since(start))
			}
			if out.Started.IsZero() || out.Ended.Before(out.Started) {
				t.Fatalf("times %v..%v", out.Started, out.Ended)
			}
		})
	}
}

func TestExecuteEnvironment(t *testing.T) {
	t.Setenv("FROM_WORKER", "inherited")
	task := &store.Task{Name: "nightly", Attempt: 3, Shell: true, Env: map[string]string{"MINE": "1", "DROVER_TASK_ID": "spoofed"},
		Cmd: []string{`echo "$DROVER_TASK_ID|$DROVER_ATTEMPT|$DROVER_WORKER_ID|$DROVER_TASK_NAME|$MINE|$FROM_WORKER"`}}
	out := runCmd(t, context.Background(), task)
	// Drover's own variables win over the task's.
	if want := task.ID + "|3|w-exec|nightly|1|inherited\n"; out.Stdout != want {
		t.Fatalf("stdout %q, want %q", out.Stdout, want)
	}
}

func TestExecuteKeepsStdoutAndStderrTails(t *testing.T) {
	task := &store.Task{ID: ulid.Make().String(), Attempt: 1, Shell: true,
		Cmd: []string{`printf 0123456789; printf abcdefghij >&2`}}
	out := execute(context.Background(), task, "w", 4, time.Now, policy{})
	if out.Stdout != "6789" || out.Stderr != "ghij" {
		t.Fatalf("stdout %q stderr %q", out.Stdout, out.Stderr)
	}
}

// A background child left behind by a command that exits is killed with its
// process group, and does not hold the attempt open.
func TestExecuteKillsOrphansAfterExit(t *testing.T) {
	dir := t.TempDir()
	task := &store.Task{Shell: true, Cmd: []string{`sleep 30 & echo $! > ` + dir + `/child.pid; exit 0`}}
	start := time.Now()
	out := runCmd(t, context.Background(), task)
	if !out.ok() {
		t.Fatalf("outcome %+v", out)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("a background child held the attempt for %v", d)
	}
	assertGone(t, dir+"/child.pid")
}

// A command that exited on its own is not a timeout because a background
// child kept its output open until the timeout fired.
func TestExecuteExitBeforeTimeoutStands(t *testing.T) {
	// The shell exits at once; the timeout fires while exec still waits
	// (WaitDelay, an hour here) for the background sleep's pipes. The
	// timeout leaves the shell 3 s to start and exit: 150 ms was too few
	// on a loaded host (its program had not started).
	saved := outputWait
	outputWait = time.Hour
	t.Cleanup(func() { outputWait = saved })
	task := &store.Task{Shell: true, Cmd: []string{`sleep 30 & exit 3`}, Timeout: store.MillisOf(3 * time.Second)}
	out := runCmd(t, context.Background(), task)
	if out.ExitCode != 3 || out.Err != "" {
		t.Fatalf("outcome %+v, want the command's own exit code 3", out)
	}
}

func TestExecuteCancelKillsGroup(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancelCause(context.Background())
	task := &store.Task{Shell: true, Cmd: []string{`sleep 30 & echo $! > ` + dir + `/child.pid; sleep 30; wait`}}
	done := make(chan outcome, 1)
	go func() { done <- runCmd(t, ctx, task) }()
	readPid(t, dir+"/child.pid")
	cancel(errors.New("assignment withdrawn"))
	select {
	case out := <-done:
		if out.ExitCode != -1 || !strings.Contains(out.Err, "assignment withdrawn") {
			t.Fatalf("outcome %+v", out)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("cancel did not stop the attempt")
	}
	assertGone(t, dir+"/child.pid")
}

func TestFitRecordShortensTails(t *testing.T) {
	task := &store.Task{ID: ulid.Make().String(), Cmd: []string{"true"}, State: store.StateSucceeded,
		Payload: make([]byte, 650*1024), Stdout: strings.Repeat("o", store.OutputTail-1) + "O", Stderr: strings.Repeat("e", store.OutputTail-1) + "E"}
	data, err := fitRecord(task, 0)
	if err != nil || len(data) > store.MaxRecordSize {
		t.Fatalf("size %d err %v", len(data), err)
	}
	if got, err := store.DecodeTask(data); err != nil || got.Stdout != task.Stdout || got.Stderr != task.Stderr {
		t.Fatalf("the encoding returned is not of the shortened record (err %v)", err)
	}
	if len(task.Stdout) >= store.OutputTail || !strings.HasSuffix(task.Stdout, "oO") || !strings.HasSuffix(task.Stderr, "eE") {
		t.Fatalf("tails not shortened from the front: %d %q", len(task.Stdout), task.Stdout[len(task.Stdout)-2:])
	}
	// Halving by bytes would cut a two-byte rune in half at every length.
	runes := &store.Task{ID: ulid.Make().String(), Cmd: []string{"true"}, State: store.StateSucceeded,
		Payload: make([]byte, 650*1024), Stdout: "x" + strings.Repeat("é", store.OutputTail/2), Stderr: strings.Repeat("é", store.OutputTail/2) + "x"}
	if _, err := fitRecord(runes, 0); err != nil || !utf8.ValidString(runes.Stdout) || !utf8.ValidString(runes.Stderr) ||
		len(runes.Stdout) >= store.OutputTail {
		t.Fatalf("tails cut mid-rune or not shortened: %d bytes, err %v", len(runes.Stdout), err)
	}
	small := &store.Task{ID: ulid.Make().String(), Cmd: []string{"true"}, Stdout: "x"}
	if _, err := fitRecord(small, 0); err != nil || small.Stdout != "x" {
		t.Fatalf("a small record was changed: %q %v", small.Stdout, err)
	}
}

func TestBatcherGatherRespectsBudget(t *testing.T) {
	b := newBatcher(nil)
	req := func(size int) *commitReq { return &commitReq{size: size} }
	for _, size := range []int{200 << 10, 200 << 10, 200 << 10, 10} {
		b.reqs <- req(size)
	}
	batch, carry := b.gather(req(100 << 10))
	if len(batch) != 3 || carry == nil || carry.size != 200<<10 {
		t.Fatalf("batch of %d, carry %+v", len(batch), carry)
	}
	batch, carry = b.gather(carry)
	if len(batch) != 2 || carry != nil {
		t.Fatalf("second batch of %d, carry %+v", len(batch), carry)
	}
	// One write larger than the budget still goes, alone.
	b.reqs <- req(1)
	batch, carry = b.gather(req(2 * maxBatchBytes))
	if len(batch) != 1 || carry == nil {
		t.Fatalf("oversized write: batch of %d, carry %+v", len(batch), carry)
	}
	for range maxBatch + 5 {
		b.reqs <- req(1)
	}
	if batch, _ = b.gather(req(1)); len(batch) != maxBatch {
		t.Fatalf("batch of %d, want at most %d writes", len(batch), maxBatch)
	}
}

// sleeper starts a sleep in a process group of its own, killed at cleanup.
func sleeper(t *testing.T) *exec.Cmd {
	t.Helper()
	c := exec.Command("sleep", "60")
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Process.Kill(); _ = c.Wait() })
	return c
}

func TestGuardKillsTheGroupsLeft(t *testing.T) {
	ended, running := sleeper(t), sleeper(t)
	in := fmt.Sprintf("+%d\n+%d\n-%d\n+junk\n-1\n", ended.Process.Pid, running.Process.Pid, ended.Process.Pid)
	g := newGroups()
	for i := 0; i < len(in); i += 3 { // lines cut across reads
		g.read([]byte(in[i:min(i+3, len(in))]))
	}
	left := g.kill()
	if len(left) != 1 || left[0] != running.Process.Pid {
		t.Fatalf("groups left %v, want [%d]", left, running.Process.Pid)
	}
	if err := running.Wait(); err == nil {
		t.Fatal("the group left was not killed")
	}
	if err := syscall.Kill(ended.Process.Pid, 0); err != nil {
		t.Fatalf("a group noted as reaped was killed: %v", err)
	}
}

// TestGuardIsReplaced: a guard killed by hand is replaced at the next note,
// and the new one learns every group running; it kills them when the
// worker's end of the pipe closes.
func TestGuardIsReplaced(t *testing.T) {
	g := &guard{live: map[int]bool{}}
	if err := g.start(); err != nil {
		t.Fatal(err)
	}
	first := sleeper(t)
	g.note('+', first.Process.Pid)
	old := g.proc.Process.Pid
	if err := g.proc.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	drovertest.WaitFor(t, 10*time.Second, "the guard gone", func() bool { return syscall.Kill(old, 0) == syscall.ESRCH })
	second := sleeper(t)
	if err := g.note('+', second.Process.Pid); !errors.Is(err, errGuardLost) {
		t.Fatalf("a lost guard not reported: %v", err)
	}
	g.mu.Lock()
	replaced := g.proc != nil && g.proc.Process.Pid != old
	g.mu.Unlock()
	if !replaced {
		t.Fatal("the guard was not replaced")
	}
	g.mu.Lock()
	g.w.Close() // as at this process's end
	g.mu.Unlock()
	for _, c := range []*exec.Cmd{first, second} {
		if err := c.Wait(); err == nil {
			t.Fatalf("group %d outlived the worker's end", c.Process.Pid)
		}
	}
}

// A script with no #! line fails to start (exec format error, 126) and
// says what is likely missing.
func TestExecuteScriptWithoutShebangSaysSo(t *testing.T) {
	p := filepath.Join(t.TempDir(), "job.sh")
	if err := os.WriteFile(p, []byte("echo hi\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	out := runCmd(t, context.Background(), &store.Task{Cmd: []string{p}})
	if out.ExitCode != 126 || !strings.Contains(out.Err, "exec format error") || !strings.Contains(out.Err, "#! line") {
		t.Fatalf("a script without #!: %+v; want 126 and a word on the #! line", out)
	}
}
