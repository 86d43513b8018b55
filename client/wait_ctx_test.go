package client

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
)

// silentSession is the session timeout of these tests: the client notices a
// silent link after two thirds of it (4 s), far above the 300 ms contexts
// below and the 2 s bound they are held to.
const silentSession = 6 * time.Second

// Wait honours its context only during its first look (lookupCtx): a link
// that goes silent right after that look, as Wait sets its watch on the
// result (WaitResultIn's ExistsW, which takes no context), holds Wait until
// the client notices the dead link, as long as the first look used to.
func TestWaitOnALinkGoneSilentAfterItsFirstLookEndsWithItsContext(t *testing.T) {
	root := drovertest.NewRoot()
	px := drovertest.StartProxy(t, drovertest.Addr())
	st := drovertest.OpenStoreFor(t, px.Addr(), root, silentSession)
	c := New(st)
	res, err := c.Submit(context.Background(), []TaskSpec{{Cmd: []string{"true"}}})
	if err != nil {
		t.Fatal(err)
	}
	testHookWaitResult = px.Freeze // the first look is done, with a link still alive
	defer func() { testHookWaitResult = nil }()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = c.Wait(ctx, res[0].ID)
	d := time.Since(start)
	px.Cut(true)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Wait on a silent link: %v, want its context's deadline", err)
	}
	if d > 2*time.Second {
		t.Fatalf("Wait took %v with a context of 300ms (the link went silent after its first look)", d.Round(time.Millisecond))
	}
}

// WaitAll (drover wait of several ids, submit --wait of a batch) has the
// same first look without a context as Wait had: on a link gone silent its
// listing of the result buckets waits for the client's notice of the dead
// link, whatever its context says.
func TestWaitAllOnASilentLinkEndsWithItsContext(t *testing.T) {
	root := drovertest.NewRoot()
	px := drovertest.StartProxy(t, drovertest.Addr())
	st := drovertest.OpenStoreFor(t, px.Addr(), root, silentSession)
	c := New(st)
	res, err := c.Submit(context.Background(), []TaskSpec{{Cmd: []string{"true"}}, {Cmd: []string{"true"}}})
	if err != nil {
		t.Fatal(err)
	}
	px.Freeze()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = c.WaitAll(ctx, []string{res[0].ID, res[1].ID}, nil)
	d := time.Since(start)
	px.Cut(true)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitAll on a silent link: %v, want its context's deadline", err)
	}
	if d > 2*time.Second {
		t.Fatalf("WaitAll took %v with a context of 300ms", d.Round(time.Millisecond))
	}
}
