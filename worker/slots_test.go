package worker

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// Waiters get a slot high priority first, then in the order they came.
func TestSlotsOrder(t *testing.T) {
	s := newSlots(1)
	ctx := context.Background()
	if err := s.acquire(ctx, store.PriorityNormal); err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 4)
	queue := func(name string, p store.Priority) {
		n := s.waitingNow()
		go func() {
			if err := s.acquire(ctx, p); err != nil {
				got <- "error: " + err.Error()
				return
			}
			got <- name
		}()
		drovertest.WaitFor(t, 5*time.Second, name+" to wait", func() bool { return s.waitingNow() == n+1 })
	}
	queue("low", store.PriorityLow)
	queue("normal-1", store.PriorityNormal)
	queue("high", store.PriorityHigh)
	queue("normal-2", store.PriorityNormal)
	for _, want := range []string{"high", "normal-1", "normal-2", "low"} {
		s.release()
		select {
		case name := <-got:
			if name != want {
				t.Fatalf("slot went to %s, want %s", name, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no waiter got the slot; want %s", want)
		}
	}
	s.release()
	if s.free != 1 || s.waitingNow() != 0 {
		t.Fatalf("after all released: free %d, waiting %d; want 1, 0", s.free, s.waitingNow())
	}
}

// A waiter whose context ends stops waiting and takes no slot; the next
// waiter gets the slot it would have had.
func TestSlotsGiveUp(t *testing.T) {
	s := newSlots(1)
	if err := s.acquire(context.Background(), store.PriorityNormal); err != nil {
		t.Fatal(err)
	}
	why := errors.New("assignment withdrawn")
	ctx, cancel := context.WithCancelCause(context.Background())
	gaveUp := make(chan error, 1)
	go func() { gaveUp <- s.acquire(ctx, store.PriorityHigh) }()
	drovertest.WaitFor(t, 5*time.Second, "the first waiter", func() bool { return s.waitingNow() == 1 })
	next := make(chan error, 1)
	go func() { next <- s.acquire(context.Background(), store.PriorityLow) }()
	drovertest.WaitFor(t, 5*time.Second, "the second waiter", func() bool { return s.waitingNow() == 2 })
	cancel(why)
	if err := <-gaveUp; !errors.Is(err, why) {
		t.Fatalf("the withdrawn waiter got %v, want %v", err, why)
	}
	if n := s.waitingNow(); n != 1 {
		t.Fatalf("%d waiting after one gave up, want 1", n)
	}
	s.release()
	if err := <-next; err != nil {
		t.Fatal(err)
	}
	s.release()
	if s.free != 1 {
		t.Fatalf("free %d after all released, want 1", s.free)
	}
}

// A slot given to a waiter just as its context ended is passed on, not
// lost: capacity never shrinks.
func TestSlotsGrantedAsCancelled(t *testing.T) {
	for i := 0; i < 200; i++ {
		s := newSlots(1)
		if err := s.acquire(context.Background(), store.PriorityNormal); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- s.acquire(ctx, store.PriorityNormal) }()
		drovertest.WaitFor(t, 5*time.Second, "the waiter", func() bool { return s.waitingNow() == 1 })
		// Both at once, as the waiter sees them: the slot and the end.
		s.mu.Lock()
		cancel()
		s.releaseLocked()
		s.mu.Unlock()
		if err := <-done; err == nil {
			s.release() // it took the slot: give it back
		}
		tctx, stop := context.WithTimeout(context.Background(), 5*time.Second)
		err := s.acquire(tctx, store.PriorityNormal)
		stop()
		if err != nil {
			t.Fatalf("round %d: the one slot was lost: %v", i, err)
		}
		if s.free != 0 || s.waitingNow() != 0 {
			t.Fatalf("round %d: free %d, waiting %d after taking the one slot; want 0, 0", i, s.free, s.waitingNow())
		}
	}
}
