package scheduler

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// syncWorkers reads the new registrations pipelined, each with a watch, and
// applies them in order, returning at the first that failed. A connection
// lost in the middle of the batch (a takeover's 500 reads, say) fails the
// reads in flight, while those the pipeline sends after the reconnect
// succeed and set their watches: applied by nobody, they are not marked in
// l.watched, and the rebuilt view sets a second watch on each of those
// registrations. Before the watch sink such a stray watch went nowhere (its
// channel was never forwarded), so it was gone at the registration's next
// change. Now its callback queues an event like any other: both watches of
// the registration fire on a change, each event clears l.watched and reads
// the registration with a new watch, so two watches stand again after every
// change, for the rest of the term, and each change is read twice.
func TestStrayWatchOfAnUnappliedReadDoesNotStackForTheTerm(t *testing.T) {
	root := drovertest.NewRoot()
	px := drovertest.StartProxy(t, drovertest.Addr())
	lst := drovertest.OpenStoreAt(t, px.Addr(), root)
	const n = 80 // more than the pipeline's 64 requests in flight
	workers := make([]*fakeWorker, n)
	for i := range n {
		workers[i] = registerWorker(t, root, fmt.Sprintf("w-%02d", i), 1, nil)
	}
	l, _, _ := termOf(t, lst)
	lay := lst.Layout()
	liveMarked := func() int64 {
		k := int64(0)
		for _, on := range l.watched {
			if on {
				k++
			}
		}
		return k
	}
	drainLists := func() {
		for {
			busy := false
			for _, w := range l.workers {
				busy = busy || w.listing
			}
			if !busy {
				return
			}
			if err := l.applyTaskList(nextList(t, l)); err != nil {
				t.Fatal(err)
			}
		}
	}

	// The registrations' reads lose their replies from the first on; the
	// connection is then cut, and the reads not yet sent go out after the
	// reconnect.
	px.DropRepliesAfter([]byte(lay.Worker("w-")))
	errc := make(chan error, 1)
	go func() { errc <- l.syncWorkers() }()
	drovertest.WaitFor(t, 10*time.Second, "a registration's read sent", px.Dropping)
	px.Cut(true)
	px.Cut(false)
	if err := <-errc; !errors.Is(err, store.ErrConnection) {
		t.Fatalf("syncWorkers: %v, want the lost connection's error", err)
	}
	rebuildOnceConnected(t, l, lst)
	drainLists()
	t.Logf("after the rebuild: %d live watches, %d paths marked watched", lst.LiveWatches(), liveMarked())

	// Every registration changes once; the leader handles what fires.
	for _, w := range workers {
		p := lay.Worker(w.id)
		data, stat, err := w.st.Get(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.st.Set(p, data, stat.Version); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.After(10 * time.Second)
	for lst.LiveWatches() != liveMarked() {
		select {
		case <-l.sink.wake:
			if err := l.handleAll(l.sink.take(257)); err != nil {
				t.Fatal(err)
			}
			drainLists()
		case <-deadline:
			t.Fatalf("every registration changed once and its events were handled: %d live watches for %d paths marked watched; "+
				"the stray watches of the failed batch's reads stack a second watch on their registrations for the rest of the term",
				lst.LiveWatches(), liveMarked())
		}
	}
}
