package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// TestReview173DrainWithUnwritableMarkStartsNewWork: README: "`w.Drain()`
// stops it as SIGTERM stops `drover worker`: no new work". A Go worker
// whose registration fits a record but not with "draining" set (handlers:
// CheckConfig, since e93cbd3, refuses such a registration for labels and
// allow-lists, but Run's register checks only the registration unmarked)
// registers, and its draining mark then fails for good (ErrTooLarge). Since
// 425f434 what was placed on it after Drain then starts ("runs, as before
// the drain"): the leader, seeing no mark, goes on placing there, and the
// draining worker starts each task, until the drain's deadline kills what
// runs (lost). Here: a task placed after Drain, while the attempt running
// at the drain still runs, starts on the draining worker and is then
// killed at the deadline. Run's register now refuses, as CheckConfig does,
// a registration that cannot be marked draining (errUnfitRegistration).
func TestReview173DrainWithUnwritableMarkStartsNewWork(t *testing.T) {
	var marks atomic.Int32
	hook := func() error { marks.Add(1); return nil }
	testHookMarkDraining.Store(&hook)
	t.Cleanup(func() { testHookMarkDraining.Store(nil) })

	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	now := func() time.Time { return time.Now().Truncate(time.Second) } // StartedAt of fixed length
	w, err := New(Config{ID: "w1", Store: st, Capacity: 2, DrainTimeout: 5 * time.Second,
		Log: drovertest.Logger(t), Version: "test", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	block := HandlerFunc(func(ctx context.Context, _ *Task) ([]byte, error) {
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil, nil
	})
	var lateStarted atomic.Bool
	must(w.Handle("block", block))
	must(w.Handle("late", HandlerFunc(func(ctx context.Context, _ *Task) ([]byte, error) {
		lateStarted.Store(true)
		<-ctx.Done()
		return nil, nil
	})))
	size := func(draining bool) int {
		host, _ := os.Hostname()
		info := store.WorkerInfo{ID: w.cfg.ID, Host: host, PID: os.Getpid(), Labels: w.cfg.Labels,
			Capacity: w.cfg.Capacity, Prefetch: w.cfg.Prefetch, Version: w.cfg.Version, StartedAt: w.cfg.Now().UTC(), Handlers: w.handlerNames(),
			NoCommands: !w.cfg.Commands, Allow: w.cfg.Allow, AllowEnv: w.cfg.AllowEnv, EnvRule: true, Token: w.token, Draining: draining}
		info.V = store.FormatVersion
		b, err := json.Marshal(&info)
		must(err)
		return len(b)
	}
	nop := HandlerFunc(func(context.Context, *Task) ([]byte, error) { return nil, nil })
	need := store.MaxRecordSize - 4 - size(false)
	for i := 0; need > 131+134; i++ {
		name := fmt.Sprintf("p%05d", i)
		must(w.Handle(name+strings.Repeat("a", 128-len(name)), nop))
		need -= 131
	}
	a := min(128, need-6-1)
	must(w.Handle("x"+strings.Repeat("a", a-1), nop))
	must(w.Handle("y"+strings.Repeat("a", need-6-a-1), nop))
	if got := size(true); got <= store.MaxRecordSize || size(false) > store.MaxRecordSize {
		t.Fatalf("setup: registration %d bytes, draining %d", size(false), got)
	}

	// Refused at Run, as CheckConfig refuses such labels and allow-lists:
	// a registration that cannot be marked draining is not written.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := w.Run(ctx); !errors.Is(err, errUnfitRegistration) {
		t.Fatalf("Run of a worker whose registration cannot be marked draining (%d bytes marked): %v; want errUnfitRegistration", size(true), err)
	}
}
