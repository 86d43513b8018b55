package scheduler

import (
	"errors"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// The loop takes up to 257 fired watches from the sink and handleAll
// handles them in order; when one fails (a read lost with the connection),
// serve returns for a rebuild and the events after it, already out of the
// sink, are dropped. Their paths stay marked in l.watched, which a rebuild
// keeps, though their watches have fired: the rebuilt view reads them
// without a watch and nothing ever sets one again. Here a registration's
// change whose event was dropped leaves the leader deaf to that
// registration for the rest of the term: it never sees the worker drain.
func TestWatchEventsAfterAFailedOneInABatchAreNotLost(t *testing.T) {
	root := drovertest.NewRoot()
	px := drovertest.StartProxy(t, drovertest.Addr())
	lst := drovertest.OpenStoreAt(t, px.Addr(), root)
	ws := map[string]*fakeWorker{
		"w-1": registerWorker(t, root, "w-1", 1, nil),
		"w-2": registerWorker(t, root, "w-2", 1, nil),
	}
	l, _, _ := termOf(t, lst)
	lay := lst.Layout()
	if err := l.syncWorkers(); err != nil { // watches both registrations
		t.Fatal(err)
	}
	rewrite := func(w *fakeWorker, draining bool) {
		t.Helper()
		p := lay.Worker(w.id)
		data, stat, err := w.st.Get(p)
		if err != nil {
			t.Fatal(err)
		}
		info, err := store.DecodeWorker(data)
		if err != nil {
			t.Fatal(err)
		}
		info.Draining = draining
		if data, err = store.Encode(info); err != nil {
			t.Fatal(err)
		}
		if _, err := w.st.Set(p, data, stat.Version); err != nil {
			t.Fatal(err)
		}
	}
	// Both registrations change: two events, one batch.
	rewrite(ws["w-1"], false)
	rewrite(ws["w-2"], false)
	var evs []watchEvent
	deadline := time.After(10 * time.Second)
	for len(evs) < 2 {
		select {
		case <-l.sink.wake:
			evs = append(evs, l.sink.take(257)...)
		case <-deadline:
			t.Fatalf("events %v: want both registrations'", evs)
		}
	}
	// The first event's read is lost with the connection.
	px.FreezeAt([]byte(lay.Worker(evs[0].arg)))
	errc := make(chan error, 1)
	go func() { errc <- l.handleAll(evs) }()
	drovertest.WaitFor(t, 10*time.Second, "the first event's read sent", px.Frozen)
	px.Cut(true)
	if err := <-errc; !errors.Is(err, store.ErrConnection) {
		t.Fatalf("handleAll: %v, want the lost connection's error", err)
	}
	px.Cut(false)
	rebuildOnceConnected(t, l, lst)
	// The second worker drains: the leader must stop placing on it.
	second := evs[1].arg
	rewrite(ws[second], true)
	deadline = time.After(10 * time.Second)
	for l.workers[second] == nil || !l.workers[second].Draining {
		select {
		case <-l.sink.wake:
			if err := l.handleAll(l.sink.take(257)); err != nil {
				t.Fatal(err)
			}
		case <-deadline:
			t.Fatalf("worker %s marked itself draining and the leader never heard (its path marked watched: %v): "+
				"its event was dropped with the batch a failed read ended, and no watch was set on it again", second, l.watched[lay.Worker(second)])
		}
	}
}
