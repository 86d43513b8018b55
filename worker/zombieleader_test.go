package worker

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// threadedEscaper is a Python program that moves to a process group of its
// own, writes its pid to argv[1], starts a thread that runs until argv[2]
// exists, and ends its main thread (pthread_exit): the process lives on in
// that thread while /proc/PID/stat shows its leader's state, Z.
const threadedEscaper = `import ctypes, os, sys, threading, time
os.setpgid(0, 0)
def run():
    while not os.path.exists(sys.argv[2]):
        time.sleep(0.02)
threading.Thread(target=run).start()
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(os.getpid()))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
ctypes.CDLL(None).pthread_exit(None)
`

// liveThreads counts the threads of process pid that are not dead.
func liveThreads(pid int) int {
	tasks, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
	if err != nil {
		return 0
	}
	n := 0
	for _, task := range tasks {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/task/" + task.Name() + "/stat")
		if err != nil {
			continue
		}
		if st, ok := parseStat(b); ok && st.state != 'Z' && st.state != 'X' {
			n++
		}
	}
	return n
}

// threadedEscaperCmd is a command that starts threadedEscaper in the
// background (pid to file, ending once stop exists), waits until its main
// thread has ended, then runs then.
func threadedEscaperCmd(t *testing.T, file, stop, then string) []string {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("no python3")
	}
	t.Cleanup(func() {
		_ = os.WriteFile(stop, nil, 0o644) // ends what escaped
	})
	return []string{"sh", "-c", `python3 -c "$0" "$1" "$2" </dev/null >/dev/null 2>&1 &
while [ ! -s "$1" ]; do sleep 0.01; done
while ! grep -q '^State:.*Z' /proc/$(cat "$1")/status; do sleep 0.01; done
` + then, threadedEscaper, file, stop}
}

// assertNoThreadLives waits until the process whose pid is in file has no
// live thread left.
func assertNoThreadLives(t *testing.T, file string) {
	t.Helper()
	pid := readPid(t, file)
	drovertest.WaitFor(t, 5*time.Second, "every thread of the background process "+strconv.Itoa(pid)+" killed", func() bool {
		return liveThreads(pid) == 0
	})
}

// A process of the command's session whose main thread has ended while
// another thread runs on shows state Z in /proc/PID/stat. It is a live
// process of the session all the same: it dies with the attempt, when the
// main process exits, at the timeout, and when the worker dies (the guard).
func TestExecuteKillsAProcessWhoseMainThreadEnded(t *testing.T) {
	t.Run("exit", func(t *testing.T) {
		dir := t.TempDir()
		file, stop := dir+"/child.pid", dir+"/stop"
		out := runCmd(t, context.Background(), &store.Task{Cmd: threadedEscaperCmd(t, file, stop, "exit 0")})
		if !out.ok() {
			t.Fatalf("outcome %+v", out)
		}
		assertNoThreadLives(t, file)
	})
	t.Run("timeout", func(t *testing.T) {
		fire := manualTimeouts(t)
		dir := t.TempDir()
		file, stop := dir+"/child.pid", dir+"/stop"
		done := make(chan outcome, 1)
		go func() {
			done <- runCmd(t, context.Background(), &store.Task{Cmd: threadedEscaperCmd(t, file, stop, "sleep 100"), Timeout: store.MillisOf(time.Minute)})
		}()
		pid := readPid(t, file)
		drovertest.WaitFor(t, 10*time.Second, "the background process's main thread ended", func() bool {
			b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
			st, ok := parseStat(b)
			return err == nil && ok && st.state == 'Z'
		})
		fire <- time.Now()
		if out := awaitOutcome(t, done); out.ExitCode != -1 || !strings.HasPrefix(out.Err, "timeout after") {
			t.Fatalf("outcome %+v, want a timeout", out)
		}
		assertNoThreadLives(t, file)
	})
	t.Run("worker death", func(t *testing.T) {
		g := &guard{live: map[int]bool{}}
		if err := g.start(); err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		file, stop := dir+"/child.pid", dir+"/stop"
		argv := threadedEscaperCmd(t, file, stop, "sleep 100")
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.SysProcAttr = commandAttr(nil) // as execute starts it
		if err := startCommand(context.Background(), cmd, nil); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		if err := g.note('+', cmd.Process.Pid); err != nil && !errors.Is(err, errGuardLost) {
			t.Fatal(err)
		}
		pid := readPid(t, file)
		drovertest.WaitFor(t, 10*time.Second, "the background process's main thread ended", func() bool {
			b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
			st, ok := parseStat(b)
			return err == nil && ok && st.state == 'Z'
		})
		// The main process is killed by the kernel (Pdeathsig) as the worker
		// dies; the guard then kills what is left of its session.
		_ = cmd.Process.Kill()
		g.mu.Lock()
		g.w.Close() // as at the worker's end, however it ended
		g.mu.Unlock()
		assertNoThreadLives(t, file)
	})
}
