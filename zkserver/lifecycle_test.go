package zkserver

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// onEndingThread runs f in a goroutine locked to a thread other than the
// main one, and lets that goroutine exit locked: the Go runtime then ends
// the thread (the main thread it would only park). It returns once f has
// returned and the thread is gone.
func onEndingThread(t *testing.T, f func()) {
	t.Helper()
	release := make(chan struct{})
	defer close(release)
	for {
		tid := make(chan int)
		go func() {
			runtime.LockOSThread()
			if syscall.Gettid() == os.Getpid() { // the main thread: hold it, try another
				tid <- 0
				<-release
				runtime.UnlockOSThread()
				return
			}
			f()
			tid <- syscall.Gettid()
			// exits locked: the runtime ends this thread
		}()
		if id := <-tid; id != 0 {
			deadline := time.Now().Add(10 * time.Second)
			for {
				if _, err := os.Stat("/proc/self/task/" + strconv.Itoa(id)); os.IsNotExist(err) {
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("thread %d did not end", id)
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
	}
}

// A server must run until Stop, Halt or Kill (or its owner process dies),
// whichever goroutine started it. The kernel sends Pdeathsig when the
// thread that forked a process ends, not its process (prctl(2)), and the
// Go runtime ends a thread whenever a goroutine exits locked to it (a
// handler may, as worker/exec.go says; an ordinary goroutine that happened
// to run on that thread then vanishes under it). Start forks from whatever
// thread its caller is on, with Pdeathsig: SIGKILL, so the server dies with
// that thread, mid-test, and every store on it loses its connection. The
// worker starts commands from spawner threads that never end for this very
// reason; zkserver does not.
func TestServerOutlivesTheThreadThatStartedIt(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var s *Server
	var err error
	onEndingThread(t, func() { s, err = Start(ctx, Config{}) })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	select {
	case <-s.Exited():
		t.Fatalf("zookeeper pid exited (%v) when the thread that started it ended; Stop was never called",
			s.cmd.ProcessState)
	case <-time.After(5 * time.Second):
	}
	if ans, err := FourLetter(s.Addr(), "ruok"); err != nil || ans != "imok" {
		t.Fatalf("ruok: %q %v", ans, err)
	}
}

// Config.DataDir is any directory, and "" one under os.TempDir(), which is
// $TMPDIR as given. A relative one is made relative to the caller's working
// directory (writeFiles), but the JVM runs in the data dir (cmd.Dir) and is
// handed the relative paths of zoo.cfg and log4j.properties, which it then
// looks for inside the data dir: the server exits at once, "Invalid config,
// exiting abnormally", after a log4j stack trace. DataDir "zkdata" fails so;
// and so does every Start, `drover dev` included, with TMPDIR=tmp.
func TestStartWithARelativeDataDir(t *testing.T) {
	t.Chdir(t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := Start(ctx, Config{DataDir: "zkdata"})
	if err != nil {
		t.Fatalf("Start with DataDir %q (relative): %v", "zkdata", err)
	}
	defer s.Stop()
	if _, err := os.Stat(filepath.Join("zkdata", "version-2")); err != nil {
		t.Fatalf("no snapshots or logs in the data dir: %v", err)
	}
}
