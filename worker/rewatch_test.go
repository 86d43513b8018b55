package worker

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// watchGoroutines counts the goroutines that wait on a ZooKeeper watch for
// a store (one per watch set and not yet fired).
func watchGoroutines() int {
	buf := make([]byte, 8<<20)
	n := 0
	for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
		if strings.Contains(g, "store.watchOne") {
			n++
		}
	}
	return n
}

// The watch on an idle worker's directory outlives a reconnect (the
// client sets it again on the server), so a listing after a reconnect
// sets none: each set another, and an idle worker on a flaky link gained a
// watch and a goroutine per reconnect, until the next assignment.
func TestIdleWorkerKeepsOneWatchThroughReconnects(t *testing.T) {
	root := drovertest.NewRoot()
	px := drovertest.StartProxy(t, drovertest.Addr())
	wst := drovertest.OpenStoreFor(t, px.Addr(), root, 10*time.Second)
	w, err := New(Config{ID: "w1", Commands: true, Store: wst, Log: drovertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	runWorker(t, w)
	leader := drovertest.OpenStore(t, root)
	drovertest.WaitFor(t, 10*time.Second, "first listing", func() bool { return w.listings.Load() > 0 })
	before := watchGoroutines()
	for i := range 5 {
		listed := w.listings.Load()
		px.Cut(true)
		drovertest.WaitFor(t, 10*time.Second, "disconnected", func() bool { c, _ := wst.Connected(); return !c })
		px.Cut(false)
		drovertest.WaitFor(t, 10*time.Second, "listed again after reconnect", func() bool {
			c, _ := wst.Connected()
			return c && w.listings.Load() > listed
		})
		t.Logf("reconnect %d: %d watch goroutines", i+1, watchGoroutines())
	}
	if after := watchGoroutines(); after > before {
		t.Fatalf("%d goroutines wait on a watch after 5 reconnects, %d before", after, before)
	}
	// And the watch still works: an assignment made now is run.
	task := &store.Task{Cmd: []string{"true"}}
	assign(t, leader, w, task)
	if got := result(t, leader, task.ID); got.State != store.StateSucceeded {
		t.Fatalf("state %s after the reconnects", got.State)
	}
}
