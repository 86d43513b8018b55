package main

import (
	"bytes"
	"os/exec"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// interruptRun is how a command interrupted by interruptAt ended.
type interruptRun struct {
	exited         bool // within the time given
	code           int
	stdout, stderr string // stderr trimmed
}

// interruptAt runs drover args through a proxy that goes silent once the
// command sends a request holding marker, sends it SIGINT there, and
// reports how it ended, killing it if it has not within the time given.
func interruptAt(t *testing.T, root, marker string, within time.Duration, args ...string) interruptRun {
	t.Helper()
	px := drovertest.StartProxy(t, zkAddr)
	px.FreezeAt([]byte(marker))
	defer px.Cut(true)
	return interruptVia(t, root, px.Addr(), px.Frozen, nil, within, args...)
}

// interruptSlow is interruptAt over a link that is slow, not silent: the
// server's answers, held from the request holding marker on, come
// answerAfter the interrupt.
func interruptSlow(t *testing.T, root, marker string, answerAfter, within time.Duration, args ...string) interruptRun {
	t.Helper()
	return interruptHolding(t, root, []byte(marker), func(px *drovertest.Proxy) { time.AfterFunc(answerAfter, px.Release) }, within, args...)
}

// interruptHolding is interruptVia over a proxy that holds the server's
// answers from the request holding marker on: the interrupt goes once one
// is held, then after(px) runs (px.Release lets them go).
func interruptHolding(t *testing.T, root string, marker []byte, after func(px *drovertest.Proxy), within time.Duration, args ...string) interruptRun {
	t.Helper()
	px := drovertest.StartProxy(t, zkAddr)
	px.HoldAnswersAfter(marker)
	held := func() bool {
		select {
		case <-px.Held():
			return true
		default:
			return false
		}
	}
	return interruptVia(t, root, px.Addr(), held, func() { after(px) }, within, args...)
}

// interruptFenced is interruptHolding that, after the interrupt and with
// the answers still held, creates the znode fence on st, then lets the
// answers go 300 ms later (within a submit's 0.8 s grace): a znode whose
// czxid is above the returned one was written by a request sent after the
// interrupt.
func interruptFenced(t *testing.T, root string, st *store.Store, fence string, marker []byte, args ...string) (interruptRun, int64) {
	t.Helper()
	var fenceZxid int64
	r := interruptHolding(t, root, marker, func(px *drovertest.Proxy) {
		if err := st.Create(fence, nil); err != nil {
			t.Error(err)
		}
		_, fst, err := st.Exists(fence)
		if err != nil {
			t.Error(err)
		}
		fenceZxid = fst.Czxid
		time.AfterFunc(300*time.Millisecond, px.Release)
	}, 20*time.Second, args...)
	return r, fenceZxid
}

// interruptVia runs drover args against ZooKeeper at addr, sends it SIGINT
// once sent says the request in question went out, then calls after (if
// not nil), and reports how the command ended, killing it if it has not
// within the time given.
func interruptVia(t *testing.T, root, addr string, sent func() bool, after func(), within time.Duration, args ...string) interruptRun {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"--zk", addr, "--root", root, "--session-timeout", "30s"}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var done atomic.Bool
	ended := make(chan error, 1)
	go func() { err := cmd.Wait(); done.Store(true); ended <- err }()
	drovertest.WaitFor(t, 20*time.Second, "the command's request sent", sent)
	_ = cmd.Process.Signal(syscall.SIGINT)
	if after != nil {
		after()
	}
	r := interruptRun{exited: drovertest.Eventually(within, done.Load)}
	if !r.exited {
		_ = cmd.Process.Kill()
	}
	err := <-ended
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	}
	r.stdout, r.stderr = out.String(), strings.TrimSpace(errb.String())
	return r
}

// bucketsAhead makes the queue and result buckets of the next minute's id
// windows: a submit's ids are of when the command runs, often a window
// (1.024 s) after the tree was made, more so on a loaded host. A bucket
// missing fails a test's held transaction (its first request), and an
// interrupted submit rightly sends it no more: the task not submitted,
// exit 130 "interrupted", which is not what such a test looks at.
func bucketsAhead(t *testing.T, st *store.Store) {
	t.Helper()
	next := ulid.Time(ulid.MustParse(store.NewTaskID(time.Now())).Time())
	for i := range 60 {
		if err := st.EnsureBuckets(store.IDAt(next.Add(time.Duration(i) * store.BucketWindow))); err != nil {
			t.Fatal(err)
		}
	}
}
