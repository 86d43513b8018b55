package embed

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/client"
	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/scheduler"
	"github.com/drover-sched/drover/store"
	"github.com/drover-sched/drover/worker"
)

// openStore opens a store on the package's server under a new root, closed
// at the test's end.
func openStore(t *testing.T) *store.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st, err := store.Open(ctx, store.Config{Servers: []string{drovertest.Addr()}, Root: drovertest.NewRoot(),
		SessionTimeout: drovertest.SessionTimeout})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	return st
}

// steadyGoroutines returns the process's goroutine count once it has held
// still for a quarter of a second (what was started before has settled),
// failing the test when it does not within 10 s.
func steadyGoroutines(t *testing.T) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	n, since := runtime.NumGoroutine(), time.Now()
	for time.Since(since) < 250*time.Millisecond {
		if time.Now().After(deadline) {
			t.Fatal("goroutine count still changing after 10 s")
		}
		time.Sleep(10 * time.Millisecond)
		if m := runtime.NumGoroutine(); m != n {
			n, since = m, time.Now()
		}
	}
	return n
}

// goroutinesSettle waits up to d for the process's goroutines to fall back
// to base, and fails the test, naming where the ones left were started,
// when they do not.
func goroutinesSettle(t *testing.T, base int, d time.Duration, after string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			buf := make([]byte, 4<<20)
			buf = buf[:runtime.Stack(buf, true)]
			creators := map[string]int{}
			for _, g := range strings.Split(string(buf), "\n\n") {
				if i := strings.Index(g, "created by "); i >= 0 {
					line := g[i+len("created by "):]
					if j := strings.Index(line, " in goroutine"); j >= 0 {
						line = line[:j]
					}
					creators[line]++
				}
			}
			t.Errorf("%s: %d goroutines %v later, %d before; left, by creator: %v",
				after, runtime.NumGoroutine(), d, base, creators)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A program that embeds a scheduler and stops it (cancels Run's context)
// while it keeps its store open, to start it again later or to go on using
// the store with a client, expects Run to leave nothing running once it has
// returned. A term's watches (the workers, the queue, its buckets, ...)
// each keep a goroutine of store.watchOne waiting for ZooKeeper to fire
// them, which it does only at the next change of what they watch (on a
// quiet cluster, not for hours): every term of a Run that returned leaves
// its goroutines (three here, and the client's watchers) behind until then
// or until the store closes. A standby's Run leaves the watch of the
// candidate ahead of it the same way.
func TestSchedulerRunLeavesNoGoroutinesOnItsOpenStore(t *testing.T) {
	for _, leading := range []bool{true, false} {
		t.Run(fmt.Sprintf("leading=%v", leading), func(t *testing.T) {
			st := openStore(t)
			if !leading {
				other, err := scheduler.New(scheduler.Config{ID: "other", Store: st})
				if err != nil {
					t.Fatal(err)
				}
				drovertest.Run(t, "other scheduler", other.Run)
				drovertest.WaitFor(t, 20*time.Second, "the other scheduler leading", func() bool {
					return other.Stats().ViewReady
				})
			}
			s, err := scheduler.New(scheduler.Config{ID: "s1", Store: st})
			if err != nil {
				t.Fatal(err)
			}
			base := steadyGoroutines(t)
			const runs = 5
			for range runs {
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan error, 1)
				go func() { done <- s.Run(ctx) }()
				if leading {
					drovertest.WaitFor(t, 20*time.Second, "s1 leading with its view", func() bool { return s.Stats().ViewReady })
				} else {
					drovertest.WaitFor(t, 20*time.Second, "s1 standing by", func() bool {
						cs, err := st.Candidates()
						return err == nil && len(cs) == 2
					})
				}
				cancel()
				if err := <-done; err != nil {
					t.Fatalf("Run: %v", err)
				}
			}
			goroutinesSettle(t, base, 5*time.Second, fmt.Sprintf("%d Runs returned", runs))
		})
	}
}

// A program that waits for a task with a deadline (a request handler
// giving up after a while, a loop reporting progress between waits) gets
// Wait back when its context ends. Wait left a goroutine behind each time,
// store.watchOne's, waiting for the result's watch to fire: it ends only
// when the task finishes or the store closes, so a task that stays queued
// (no worker with its labels, say) gathers one per Wait, without bound.
// WaitAll does the same with its buckets' watches.
func TestWaitCutShortLeavesNoGoroutines(t *testing.T) {
	st := openStore(t)
	c := client.New(st)
	res, err := c.Submit(context.Background(), []client.TaskSpec{{Cmd: []string{"true"}}})
	if err != nil {
		t.Fatal(err)
	}
	id := res[0].ID
	for _, call := range []struct {
		name string
		wait func(ctx context.Context) error
	}{
		{"Wait", func(ctx context.Context) error { _, err := c.Wait(ctx, id); return err }},
		{"WaitAll", func(ctx context.Context) error { return c.WaitAll(ctx, []string{id}, func(*store.Task) {}) }},
	} {
		base := steadyGoroutines(t)
		const waits = 20
		for range waits {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
			err := call.wait(ctx)
			cancel()
			if err != context.DeadlineExceeded {
				t.Fatalf("%s of a queued task with no scheduler: %v, want its context's deadline", call.name, err)
			}
		}
		goroutinesSettle(t, base, 5*time.Second, fmt.Sprintf("%d calls of %s cut short", waits, call.name))
	}
}

// A second Worker of an id another holds waits, as the README says, until
// that registration goes; a program that gives up waiting (cancels Run's
// context) gets Run back, but the watch it waited on keeps a goroutine of
// store.watchOne until the first registration changes or goes.
func TestWorkerRunGivenUpWaitingForItsIDLeavesNoGoroutines(t *testing.T) {
	st := openStore(t)
	handler := worker.HandlerFunc(func(ctx context.Context, t *worker.Task) ([]byte, error) { return nil, nil })
	first, err := worker.New(worker.Config{ID: "w1", Store: st})
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Handle("h", handler); err != nil {
		t.Fatal(err)
	}
	drovertest.Run(t, "first worker", first.Run)
	drovertest.WaitFor(t, 20*time.Second, "the first worker registered", func() bool { return first.Stats().Registered })
	second, err := worker.New(worker.Config{ID: "w1", Store: st})
	if err != nil {
		t.Fatal(err)
	}
	if err := second.Handle("h", handler); err != nil {
		t.Fatal(err)
	}
	base := steadyGoroutines(t)
	const runs = 5
	for range runs {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		err := second.Run(ctx)
		cancel()
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		if second.Stats().Registered {
			t.Fatal("the second worker registered while the first held the id")
		}
	}
	goroutinesSettle(t, base, 5*time.Second, fmt.Sprintf("%d Runs of a second worker of one id returned", runs))
}
