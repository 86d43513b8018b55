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

// Wait and WaitAll end with their context however long a read waits on a
// link gone silent: their reads take no context, and each used to wait for
// the client's notice of the dead link (4 s here, 13 s at a 20 s session):
// Wait's first look for the task, the watch it sets after that look, and
// WaitAll's listing of the result buckets.
func TestWaitOnASilentLinkEndsWithItsContext(t *testing.T) {
	for _, c := range []struct {
		name      string
		tasks     int
		afterLook bool // silent once the first look is done, not from the start
		wait      func(ctx context.Context, c *Client, ids []string) error
	}{
		{"Wait", 1, false, func(ctx context.Context, c *Client, ids []string) error { _, err := c.Wait(ctx, ids[0]); return err }},
		{"Wait, after its first look", 1, true, func(ctx context.Context, c *Client, ids []string) error { _, err := c.Wait(ctx, ids[0]); return err }},
		{"WaitAll", 2, false, func(ctx context.Context, c *Client, ids []string) error { return c.WaitAll(ctx, ids, nil) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			px := drovertest.StartProxy(t, drovertest.Addr())
			cl := New(drovertest.OpenStoreFor(t, px.Addr(), drovertest.NewRoot(), silentSession))
			specs := make([]TaskSpec, c.tasks)
			for i := range specs {
				specs[i] = TaskSpec{Cmd: []string{"true"}}
			}
			res, err := cl.Submit(context.Background(), specs)
			if err != nil {
				t.Fatal(err)
			}
			ids := make([]string, len(res))
			for i, r := range res {
				ids[i] = r.ID
			}
			if c.afterLook {
				testHookWaitResult = px.Freeze
				defer func() { testHookWaitResult = nil }()
			} else {
				px.Freeze()
			}
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			start := time.Now()
			err = c.wait(ctx, cl, ids)
			d := time.Since(start)
			px.Cut(true)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("on a silent link: %v, want its context's deadline", err)
			}
			if d > 2*time.Second {
				t.Fatalf("took %v with a context of 300ms", d.Round(time.Millisecond))
			}
		})
	}
}
