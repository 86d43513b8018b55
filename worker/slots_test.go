package worker

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/drover-sched/drover/store"
)

// granted reports whether w has its slot.
func granted(w *waiter) bool {
	select {
	case <-w.ready:
		return true
	default:
		return false
	}
}

// Waiters get a slot those that may not wait first, then high priority
// first, then by task id (the queue's order), not in the order they came.
func TestSlotsOrder(t *testing.T) {
	s := newSlots(1)
	first := s.take(false, store.PriorityNormal, "t")
	if !granted(first) {
		t.Fatal("the one free slot was not given at once")
	}
	low := s.take(false, store.PriorityLow, "c")
	normalB := s.take(false, store.PriorityNormal, "b")
	high := s.take(false, store.PriorityHigh, "z")
	normalA := s.take(false, store.PriorityNormal, "a")
	// One that may not wait (a timeout) goes first, whatever its priority
	// and id: the leader placed it on a free slot.
	urgent := s.take(true, store.PriorityLow, "y")
	if n := s.waitingNow(); n != 5 {
		t.Fatalf("%d waiting, want 5", n)
	}
	prev := first
	order := []*waiter{urgent, high, normalA, normalB, low}
	for i, next := range order {
		for _, w := range order {
			if granted(w) && w != prev && !w.dropped {
				t.Fatalf("step %d: %s has a slot before %s", i, w.id, next.id)
			}
		}
		s.drop(prev)
		if !granted(next) {
			t.Fatalf("step %d: the slot did not go to %s", i, next.id)
		}
		prev = next
	}
	s.drop(prev)
	if s.free != 1 || s.waitingNow() != 0 {
		t.Fatalf("after all dropped: free %d, waiting %d; want 1, 0", s.free, s.waitingNow())
	}
}

// A waiter whose context ends stops waiting; dropped, it takes no slot and
// leaves the line.
func TestSlotsGiveUp(t *testing.T) {
	s := newSlots(1)
	first := s.take(false, store.PriorityNormal, "a")
	why := errors.New("assignment withdrawn")
	ctx, cancel := context.WithCancelCause(context.Background())
	w := s.take(false, store.PriorityHigh, "b")
	next := s.take(false, store.PriorityLow, "c")
	cancel(why)
	if err := s.wait(ctx, w, nil); !errors.Is(err, why) {
		t.Fatalf("the withdrawn waiter got %v, want %v", err, why)
	}
	s.drop(w)
	s.drop(w) // once only
	if n := s.waitingNow(); n != 1 {
		t.Fatalf("%d waiting after one gave up, want 1", n)
	}
	s.drop(first)
	if err := s.wait(context.Background(), next, nil); err != nil {
		t.Fatal(err)
	}
	s.drop(next)
	if s.free != 1 {
		t.Fatalf("free %d after all dropped, want 1", s.free)
	}
}

// A slot given to a waiter just as its context ended is passed on when it
// is dropped, not lost: capacity never shrinks.
func TestSlotsGrantedAsCancelled(t *testing.T) {
	s := newSlots(1)
	first := s.take(false, store.PriorityNormal, "a")
	ctx, cancel := context.WithCancel(context.Background())
	w := s.take(false, store.PriorityNormal, "b")
	cancel()
	s.drop(first) // the slot goes to w, whose wait has ended
	if !granted(w) {
		t.Fatal("the slot did not go to the waiter")
	}
	next := s.take(false, store.PriorityNormal, "c")
	_ = s.wait(ctx, w, nil) // either outcome: the slot is w's to give back
	s.drop(w)
	tctx, stop := context.WithTimeout(context.Background(), 5*time.Second)
	defer stop()
	if err := s.wait(tctx, next, nil); err != nil {
		t.Fatalf("the one slot was lost: %v", err)
	}
	s.drop(next)
	if s.free != 1 || s.waitingNow() != 0 {
		t.Fatalf("free %d, waiting %d; want 1, 0", s.free, s.waitingNow())
	}
}

// A waiter's priority, once its record is read, moves it in line.
func TestSlotsReorder(t *testing.T) {
	s := newSlots(1)
	first := s.take(false, store.PriorityNormal, "a")
	normal := s.take(false, store.PriorityNormal, "b")
	unread := s.take(false, store.PriorityNormal, "c") // high, as read later
	s.reorder(unread, false, store.PriorityHigh)
	s.drop(first)
	if !granted(unread) || granted(normal) {
		t.Fatal("the slot did not go to the waiter read as high priority")
	}
	s.reorder(unread, false, store.PriorityLow) // granted: nothing to move
	s.drop(unread)
	if !granted(normal) {
		t.Fatal("the slot did not go on to the next")
	}
}
