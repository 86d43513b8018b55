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
