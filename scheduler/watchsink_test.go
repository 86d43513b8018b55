package scheduler

import (
	"fmt"
	"sync"
	"testing"

	"github.com/drover-sched/drover/store"
)

// The sink hands out every event once, in order, a batch at a time, and
// wakes the loop while any wait; a burst costs the events it holds, not
// their square (each batch moved the rest up).
func TestWatchSinkTakesEveryEventOnceInOrder(t *testing.T) {
	k := newWatchSink()
	const writers, each = 4, 5000
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				k.on(watchEvent{path: fmt.Sprintf("/w%d", w), arg: fmt.Sprint(i)})(store.Event{})
			}
		}()
	}
	next := make([]int, writers)
	got := 0
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for got < writers*each {
		select {
		case <-k.wake:
		case <-done:
		}
		for _, ev := range k.take(257) {
			var w int
			fmt.Sscanf(ev.path, "/w%d", &w)
			if ev.arg != fmt.Sprint(next[w]) {
				t.Fatalf("writer %d's event %s taken where %d was due", w, ev.arg, next[w])
			}
			next[w]++
			got++
		}
	}
	if evs := k.take(257); len(evs) != 0 || len(k.evs) != 0 || k.next != 0 {
		t.Fatalf("after all were taken: %d more, %d held, next %d", len(evs), len(k.evs), k.next)
	}
	k.close()
	k.on(watchEvent{path: "/late"})(store.Event{})
	if evs := k.take(257); len(evs) != 0 {
		t.Fatalf("a closed sink handed out %v", evs)
	}
}

// While the loop stays behind (more than a batch waits at each take, as
// during a long burst under load), the sink holds the events that wait,
// not every event since it was last empty: the taken ones, strings and
// all, are not kept. "The queue holds at most one event per live watch."
func TestWatchSinkKeepsOnlyWhatWaitsWhileBehind(t *testing.T) {
	k := newWatchSink()
	const batch, backlog, rounds = 257, 300, 2000
	put := func(n int) {
		for i := range n {
			k.on(watchEvent{path: fmt.Sprintf("/bucket/%d", i)})(store.Event{})
		}
	}
	put(backlog)
	for range rounds {
		if evs := k.take(batch); len(evs) != batch {
			t.Fatalf("took %d, want %d", len(evs), batch)
		}
		put(batch) // as many fired meanwhile: backlog events wait each time
	}
	k.mu.Lock()
	waiting, held := len(k.evs)-k.next, len(k.evs)
	k.mu.Unlock()
	if waiting != backlog {
		t.Fatalf("%d wait, want %d", waiting, backlog)
	}
	// Some slack for the slice's growth; what is held grows with the
	// rounds (514,300 events here) when the taken ones are kept.
	if held > 4*backlog {
		t.Fatalf("the sink holds %d events for %d waiting, after %d batches taken", held, waiting, rounds)
	}
}
