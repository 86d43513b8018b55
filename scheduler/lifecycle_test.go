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
