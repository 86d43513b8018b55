package client

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// WaitAll with no callback (a caller that only wants to know when all are
// done) panics on the first result, in the caller's goroutine: done is
// called unchecked, and nothing says it must be set.
func TestWaitAllWithoutACallback(t *testing.T) {
	c, _ := newClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := c.Submit(ctx, []TaskSpec{{Cmd: []string{"true"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Cancel(res[0].ID); err != nil {
		t.Fatal(err)
	}
	var perr any
	func() {
		defer func() { perr = recover() }()
		err = c.WaitAll(ctx, []string{res[0].ID}, nil)
	}()
	if perr != nil || err != nil {
		t.Fatalf("WaitAll with a nil done: panic %v, error %v", perr, err)
	}
}

// A spec sets what its kind of task does not use: a command's Payload
// (TaskSpec: a handler's input; nothing hands it to a command) and a
// handler's Shell are kept in the record and dropped silently, where
// unknown JSON fields are refused "so a typo cannot silently drop a
// setting". Up to 256 KiB of payload is written, and never read.
func TestSpecSettingsOfTheOtherKindAreRefused(t *testing.T) {
	c, _ := newClient(t)
	for name, spec := range map[string]TaskSpec{
		"command with a payload": {Cmd: []string{"cat"}, Payload: []byte("input")},
		"handler with shell":     {Handler: "resize", Shell: true},
	} {
		if _, err := c.Submit(context.Background(), []TaskSpec{spec}); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: error %v, want ErrInvalid", name, err)
		}
	}
	if n, err := c.List(store.StateQueued, 0); err == nil && len(n) > 0 {
		t.Logf("%d such tasks queued", len(n))
	}
}

// Wait honours its context from the start: its first look for the task
// took no context, and on a link gone silent it waited for the client's own
// notice of the dead link (two thirds of a session timeout: 13 s here).
func TestWaitOnASilentLinkEndsWithItsContext(t *testing.T) {
	root := drovertest.NewRoot()
	px := drovertest.StartProxy(t, drovertest.Addr())
	st := drovertest.OpenStoreFor(t, px.Addr(), root, 20*time.Second)
	c := New(st)
	res, err := c.Submit(context.Background(), []TaskSpec{{Cmd: []string{"true"}}})
	if err != nil {
		t.Fatal(err)
	}
	px.Freeze()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := c.Wait(ctx, res[0].ID); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait on a silent link: %v, want its context's deadline", err)
	}
	// A bound far above the 300 ms asked and far below the 13 s it took.
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Wait took %v with a context of 300ms", d.Round(time.Millisecond))
	}
	px.Cut(true)
}
