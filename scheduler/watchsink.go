package scheduler

import (
	"sync"

	"github.com/drover-sched/drover/store"
)

// watchSink queues the leader's fired watches for its loop. The client calls
// a watch's callback on its own loop, which must not block, so the sink only
// appends; the loop takes the events when wake says there are some. A
// goroutine per watch waiting to forward it cost some 8 KB each: ~340 MB at a
// takeover of 158,000 queue buckets. The queue holds the events waiting, at
// most one per live watch, as the goroutines did (and while the loop is
// behind, at most as many already taken).
type watchSink struct {
	mu  sync.Mutex
	evs []watchEvent
	// next is the first of evs not taken yet: a burst is taken a batch at
	// a time without moving the rest each time.
	next   int
	closed bool
	wake   chan struct{} // one slot: set when events wait
}

func newWatchSink() *watchSink {
	return &watchSink{wake: make(chan struct{}, 1)}
}

// on returns the callback of a watch whose firing (or ending: session
// expired, store closed) is queued as ev. It holds only the sink, so a
// term's watches still live after it ended keep nothing of its view.
func (k *watchSink) on(ev watchEvent) store.WatchFunc {
	return func(store.Event) { k.put(ev) }
}

func (k *watchSink) put(ev watchEvent) {
	k.mu.Lock()
	if k.closed {
		k.mu.Unlock()
		return
	}
	k.evs = append(k.evs, ev)
	first := len(k.evs)-k.next == 1
	k.mu.Unlock()
	if first {
		k.signal()
	}
}

func (k *watchSink) signal() {
	select {
	case k.wake <- struct{}{}:
	default:
	}
}

// take removes up to max of the queued events, oldest first, and wakes the
// loop again when some are left.
func (k *watchSink) take(max int) []watchEvent {
	k.mu.Lock()
	defer k.mu.Unlock()
	n := min(max, len(k.evs)-k.next)
	out := append([]watchEvent(nil), k.evs[k.next:k.next+n]...)
	k.next += n
	if k.next < len(k.evs) {
		if k.next >= 1024 && 2*k.next >= len(k.evs) {
			// Behind for long: the taken half goes, so the queue holds
			// what waits (amortized, each event moves once at most).
			left := copy(k.evs, k.evs[k.next:])
			clear(k.evs[left:])
			k.evs, k.next = k.evs[:left], 0
		}
		k.signal()
		return out
	}
	if cap(k.evs) > 1024 {
		k.evs = nil // a burst's backing array is not kept for the term
	} else {
		clear(k.evs)
		k.evs = k.evs[:0]
	}
	k.next = 0
	return out
}

// close drops what is queued and what fires later: the term is over.
func (k *watchSink) close() {
	k.mu.Lock()
	k.closed, k.evs, k.next = true, nil, 0
	k.mu.Unlock()
}
