package scheduler

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// runBack starts s.Run(ctx) in a goroutine and returns the channel its
// error comes back on.
func runBack(ctx context.Context, s *Scheduler) <-chan error {
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	return done
}

// returnsWithin waits up to d for a Run started with runBack to return.
func returnsWithin(done <-chan error, d time.Duration) (err error, returned bool) {
	select {
	case err := <-done:
		return err, true
	case <-time.After(d):
		return nil, false
	}
}

// A Go program that embeds a scheduler and closes its store while Run runs
// (a shutdown that closes the connection before it cancels Run's context, or
// a store closed elsewhere in the program) must get Run back: a closed store
// never opens again, and Worker.Run returns store.ErrClosed in the same
// case. Scheduler.Run took the campaign's ErrClosed for a passing failure
// and campaigned again every second for good ("campaign failed; retrying"),
// its goroutine never ending; a store closed before Run did the same.
// (Found by review.)
func TestSchedulerRunReturnsWhenItsStoreCloses(t *testing.T) {
	for _, leading := range []bool{false, true} {
		st := drovertest.OpenStore(t, drovertest.NewRoot())
		s, err := New(Config{ID: "s1", Store: st, Log: drovertest.Logger(t)})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel() // ends a Run that did not return, at the test's end
		if !leading {
			st.Close()
		}
		done := runBack(ctx, s)
		if leading {
			drovertest.WaitFor(t, 20*time.Second, "leading", s.IsLeader)
			st.Close()
		}
		err, returned := returnsWithin(done, 10*time.Second)
		if !returned {
			t.Errorf("store closed (leading: %v): Run had not returned 10 s later", leading)
			continue
		}
		if !errors.Is(err, store.ErrClosed) {
			t.Errorf("store closed (leading: %v): Run returned %v, want store.ErrClosed", leading, err)
		}
	}
}

// A second Run of one Scheduler while the first runs (a program that
// starts it twice by mistake) must be refused with an error (ErrRunning),
// as nothing good can come of it. It was not: both campaigned with the same
// id and session, each new candidate deleted the other's election znode as
// its own left behind ("deleted an election znode of our own session
// standing ahead of us"), and the terms ended and began over and over, each
// bumping the cluster's epoch (seven terms in three seconds).
// (Found by review.)
func TestSchedulerSecondRunAtOnceIsRefused(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	s, stop := runScheduler(t, st, "s1")
	drovertest.WaitFor(t, 20*time.Second, "leading", s.IsLeader)
	epoch := s.Epoch()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	second := runBack(ctx, s)
	err, returned := returnsWithin(second, 5*time.Second)
	if !returned || err == nil {
		cancel()
		<-second
		t.Fatalf("a second Run while the first runs: returned %v (error %v); the epoch went from %d to %d meanwhile",
			returned, err, epoch, s.Epoch())
	}
	if s.Epoch() != epoch || !s.IsLeader() {
		t.Fatalf("a refused second Run changed the term: epoch %d to %d, leading %v", epoch, s.Epoch(), s.IsLeader())
	}
	if !errors.Is(err, ErrRunning) {
		t.Fatalf("a second Run while the first runs: %v, want ErrRunning", err)
	}
	// Once the first Run has returned, the Scheduler runs again.
	stop()
	drovertest.Run(t, "scheduler s1 again", s.Run)
	drovertest.WaitFor(t, 20*time.Second, "leading again", s.IsLeader)
}
