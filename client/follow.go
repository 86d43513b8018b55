package client

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/drover-sched/drover/store"
)

// Follow asks the workers for task id's output while its attempts run
// (store.FollowTask) and calls fn, on the calling goroutine, with each
// output they publish, until the task ends; it returns the task's final
// record as Wait does (store.ErrUnknownTask for a task of no record). A
// publication (store.LiveOutput) holds what each stream got since the one
// before, at most store.LiveTail of each (for a follower that came, the
// end of what was written), and the byte counts so far: fn is not called
// for every write, and a command that writes more than that in a quarter
// second leaves gaps, which the counts show. A Go handler publishes what
// it writes to its Task.Log (its stderr); a worker older than follow
// publishes nothing: fn is then never called, and the final record holds
// the output. Credentials that may only read cannot ask: the error is
// store.ErrReadOnlyIdentity (or store.ErrNoAuth); past store.MaxFollowers
// tasks followed, store.ErrTooManyFollowers.
func (c *Client) Follow(ctx context.Context, id string, fn func(*store.LiveOutput)) (*store.Task, error) {
	id, err := taskID(id)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type ended struct {
		t   *store.Task
		err error
	}
	done := make(chan ended, 1)
	go func() { // ends with ctx at the latest (Wait does)
		t, err := c.Wait(ctx, id)
		done <- ended{t, err}
	}()
	node := c.st.Layout().FollowNode(id)
	// mine says whether this Follow made the znode. A FollowTask given up
	// on (ctx ended: withCtx returns, the request goes on) may make it
	// after Follow has returned: whichever of the two comes second deletes
	// it.
	var mine struct {
		sync.Mutex
		owned, returned bool
	}
	defer func() {
		mine.Lock()
		mine.returned = true
		owned := mine.owned
		mine.Unlock()
		if owned {
			c.unfollow(ctx, node)
		}
	}()
	var ev <-chan store.Event
	var last *store.LiveOutput
	pause := 100 * time.Millisecond
	follow := true // the znode is to be made (or found): at the start, and once gone
	for {
		if ev == nil {
			type got struct {
				data []byte
				stat store.Stat
				ev   <-chan store.Event
			}
			g, err := withCtx(ctx, func() (got, error) {
				var g got
				var err error
				if follow {
					owned, ferr := c.st.FollowTask(ctx, id)
					if owned {
						mine.Lock()
						late := mine.returned
						mine.owned = true
						mine.Unlock()
						if late {
							c.unfollow(ctx, node)
						}
					}
					if ferr != nil {
						return g, ferr
					}
				}
				g.data, g.stat, g.ev, err = c.st.GetW(node)
				return g, err
			})
			switch {
			case errors.Is(err, store.ErrNoNode):
				// Gone with another follower's session (or moved aside):
				// made again.
				follow = true
				continue
			case errors.Is(err, store.ErrConnection):
				if !sleepFor(ctx, pause) {
					return nil, ctx.Err()
				}
				pause = min(2*pause, 5*time.Second)
				continue
			case err != nil:
				select {
				case e := <-done:
					if e.err != nil || ctx.Err() != nil {
						return e.t, e.err
					}
				default:
				}
				return nil, err // FollowTask's and GetW's errors name the task
			}
			pause, ev, follow = 100*time.Millisecond, g.ev, false
			o, err := store.DecodeLiveOutput(g.data)
			if err == nil && g.stat.EphemeralOwner == 0 {
				// Made by hand: it would outlive every follower, and take
				// the task's output whenever it ran.
				err = fmt.Errorf("%w: a follow znode that is not ephemeral", store.ErrMalformed)
			}
			switch {
			case errors.Is(err, store.ErrMalformed):
				// Moved aside as malformed data is: the znode goes, is made
				// again, and the worker publishes anew.
				_ = c.st.Quarantine(node, g.data, g.stat.Version, err)
			case err != nil: // a newer release's record: passed over
			case o != nil && o.Task == id && !sameLive(o, last):
				last = o
				fn(o)
			}
		}
		select {
		case e := <-done:
			if e.err == nil {
				// The worker's last publication lands before its report:
				// it is in the znode now, if its watch has not told yet.
				g, err := withCtx(ctx, func() ([]byte, error) { data, _, err := c.st.Get(node); return data, err })
				if o, derr := store.DecodeLiveOutput(g); err == nil && derr == nil && o != nil && o.Task == id && !sameLive(o, last) {
					fn(o)
				}
			}
			return e.t, e.err
		case <-ev:
			ev = nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// unfollow deletes the follow znode this client made, so that workers
// stop publishing at once and it counts no more against the followers'
// bound: a long-lived client's session may outlive it by days. When the
// delete does not come through (ZooKeeper away, or ctx over and a second
// gone by), the store deletes it once ZooKeeper is back (store.Abandon),
// in the background: the caller is not held.
func (c *Client) unfollow(ctx context.Context, node string) {
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	if ctx.Err() == nil {
		dctx = ctx
	}
	_, err := store.Await(dctx, func() (struct{}, error) { return struct{}{}, c.st.Delete(node, -1) })
	if err != nil && !errors.Is(err, store.ErrNoNode) && !errors.Is(err, store.ErrClosed) {
		c.st.Abandon(node)
	}
}

// sameLive reports whether o says what last did (the znode was written
// again with the same output, or read again after a reconnect).
func sameLive(o, last *store.LiveOutput) bool {
	return last != nil && o.Attempt == last.Attempt && o.StdoutBytes == last.StdoutBytes && o.StderrBytes == last.StderrBytes
}

// sleepFor waits d; false when ctx ended first.
func sleepFor(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
