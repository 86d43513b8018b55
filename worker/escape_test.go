package worker

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// manualTimeouts makes the timeouts of the tasks the test runs fire when the
// test sends on the channel returned, not when they have passed.
func manualTimeouts(t *testing.T) chan<- time.Time {
	t.Helper()
	fire := make(chan time.Time, 1)
	saved := timeoutAfter
	timeoutAfter = func(time.Duration) (<-chan time.Time, func()) { return fire, func() {} }
	t.Cleanup(func() { timeoutAfter = saved })
	return fire
}

// escapers are commands that start a background child in a process group
// of its own, write its pid to file, then run then.
var escapers = []struct {
	name string
	cmd  func(file, then string) []string
}{
	// A shell with job control puts each job in a group of its own (bash:
	// dash has none without a terminal).
	{"set -m", func(file, then string) []string {
		return []string{"bash", "-c", "set -m; sleep 100 & echo $! > " + file + "; " + then}
	}},
	// GNU timeout calls setpgid for itself and what it runs.
	{"setpgid", func(file, then string) []string {
		return []string{"sh", "-c", "timeout 100 sleep 100 & echo $! > " + file + "; " + then}
	}},
}

// escaped reads the escaper's child pid from file, once it is written, and
// checks that the child did leave the command's process group.
func escaped(t *testing.T, file string) {
	t.Helper()
	pid := readPid(t, file)
	drovertest.WaitFor(t, 10*time.Second, "the background child in a group of its own", func() bool {
		pgid, err := syscall.Getpgid(pid)
		return err == nil && pgid == pid
	})
	t.Cleanup(func() {
		if t.Failed() {
			_ = syscall.Kill(-pid, syscall.SIGKILL) // what escaped
		}
	})
}

// What a command starts in a process group of its own dies with the command
// however the attempt ends: when its main process exits, at its timeout,
// when the attempt is cancelled, and when the worker dies (the guard).
func TestExecuteKillsChildrenInGroupsOfTheirOwn(t *testing.T) {
	for _, esc := range escapers {
		t.Run(esc.name+"/exit", func(t *testing.T) {
			file := t.TempDir() + "/child.pid"
			out := runCmd(t, context.Background(), &store.Task{Cmd: esc.cmd(file, "exit 0")})
			if !out.ok() {
				t.Fatalf("outcome %+v", out)
			}
			escaped(t, file)
			assertGone(t, file)
		})
		t.Run(esc.name+"/timeout", func(t *testing.T) {
			fire := manualTimeouts(t)
			file := t.TempDir() + "/child.pid"
			done := make(chan outcome, 1)
			go func() {
				done <- runCmd(t, context.Background(), &store.Task{Cmd: esc.cmd(file, "sleep 100"), Timeout: store.MillisOf(time.Minute)})
			}()
			escaped(t, file)
			fire <- time.Now()
			if out := awaitOutcome(t, done); out.ExitCode != -1 || !strings.HasPrefix(out.Err, "timeout after") {
				t.Fatalf("outcome %+v, want a timeout", out)
			}
			assertGone(t, file)
		})
		t.Run(esc.name+"/cancel", func(t *testing.T) {
			file := t.TempDir() + "/child.pid"
			ctx, cancel := context.WithCancelCause(context.Background())
			defer cancel(nil)
			done := make(chan outcome, 1)
			go func() { done <- runCmd(t, ctx, &store.Task{Cmd: esc.cmd(file, "sleep 100")}) }()
			escaped(t, file)
			cancel(errors.New("assignment withdrawn"))
			if out := awaitOutcome(t, done); out.ExitCode != -1 || !strings.Contains(out.Err, "assignment withdrawn") {
				t.Fatalf("outcome %+v", out)
			}
			assertGone(t, file)
		})
		t.Run(esc.name+"/worker death", func(t *testing.T) {
			g := &guard{live: map[int]bool{}}
			if err := g.start(); err != nil {
				t.Fatal(err)
			}
			file := t.TempDir() + "/child.pid"
			argv := esc.cmd(file, "sleep 100")
			cmd := exec.Command(argv[0], argv[1:]...)
			cmd.SysProcAttr = commandAttr(nil) // as execute starts it
			if err := startCommand(context.Background(), cmd, nil); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
			if err := g.note('+', cmd.Process.Pid); err != nil {
				t.Fatal(err)
			}
			escaped(t, file)
			g.mu.Lock()
			g.w.Close() // as at the worker's end, however it ended
			g.mu.Unlock()
			assertGone(t, file)
		})
	}
}

// A command killed by a signal not the worker's (the OOM killer, an
// operator's kill -9) is reported as killed by that signal, not as a
// timeout, when its timeout passes while a child of it still holds its
// output open.
func TestExecuteSignalBeforeTimeoutStands(t *testing.T) {
	fire := manualTimeouts(t)
	saved := outputWait
	outputWait = time.Hour // the child holds the output past the timeout
	t.Cleanup(func() { outputWait = saved })
	file := t.TempDir() + "/main.pid"
	task := &store.Task{Shell: true, Cmd: []string{`echo $$ > ` + file + `; sleep 100 & kill -9 $$`}, Timeout: store.MillisOf(time.Minute)}
	done := make(chan outcome, 1)
	go func() { done <- runCmd(t, context.Background(), task) }()
	main := readPid(t, file)
	drovertest.WaitFor(t, 10*time.Second, "the main process killed and reaped", func() bool {
		return syscall.Kill(main, 0) == syscall.ESRCH
	})
	fire <- time.Now()
	if out := awaitOutcome(t, done); out.ExitCode != -1 || out.Err != "killed by SIGKILL (killed)" {
		t.Fatalf("outcome %+v, want killed by SIGKILL (killed)", out)
	}
}

// awaitOutcome is the outcome sent on done, within a deadline.
func awaitOutcome(t *testing.T, done <-chan outcome) outcome {
	t.Helper()
	select {
	case out := <-done:
		return out
	case <-time.After(20 * time.Second):
		t.Fatal("the attempt did not end")
		return outcome{}
	}
}

func TestParseStat(t *testing.T) {
	const rest = " 0 -1 4194304 97 0 0 0 1 2 0 0 20 0 " // tty_nr .. nice
	for _, tc := range []struct {
		line string
		want procStat
		ok   bool
	}{
		{"4242 (sleep) S 4240 4241 4240" + rest + "1 0 123 4096\n", procStat{'S', 4241, 4240, 1}, true},
		{"4242 (a) b (c) ) Z 1 4242 4240" + rest + "2 0", procStat{'Z', 4242, 4240, 2}, true},
		{"4242 (x) R 1 2 33" + rest + "7\n", procStat{'R', 2, 33, 7}, true},
		{"4242 (x) R 1 2 33" + rest, procStat{}, false},
		{"4242 (x) R 1 2", procStat{}, false},
		{"4242 (x) RS 1 2 3" + rest + "1", procStat{}, false},
		{"4242 x R 1 2 3" + rest + "1", procStat{}, false},
		{"4242 (x) R 1 2 three" + rest + "1", procStat{}, false},
		{"4242 (x) R 1 2 3" + rest + "many", procStat{}, false},
	} {
		got, ok := parseStat([]byte(tc.line))
		if ok != tc.ok || ok && got != tc.want {
			t.Errorf("%q: %+v ok %v; want %+v %v", tc.line, got, ok, tc.want, tc.ok)
		}
	}
}

// taken, which spares the walk of /proc after most commands, tells a
// reaped command's session with nothing left from one with a process left.
func TestTakenTellsALeftSession(t *testing.T) {
	run := func(script string) int {
		t.Helper()
		cmd := exec.Command("sh", "-c", script)
		cmd.SysProcAttr = commandAttr(nil)
		if err := startCommand(context.Background(), cmd, nil); err != nil {
			t.Fatal(err)
		}
		if err := cmd.Wait(); err != nil {
			t.Fatal(err)
		}
		return cmd.Process.Pid
	}
	if sid := run("exit 0"); taken(sid) {
		t.Errorf("the session of %d, reaped and empty, is taken", sid)
	}
	file := t.TempDir() + "/child.pid"
	sid := run("timeout 100 sleep 100 >/dev/null 2>&1 & echo $! > " + file)
	escaped(t, file)
	if !taken(sid) {
		t.Errorf("the session of %d, with a process left, is not taken", sid)
	}
	killSession(sid)
	assertGone(t, file)
}
