package client

import (
	"context"
	"errors"
	"fmt"
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
	owned := false
	defer func() {
		if owned {
			c.unfollow(node)
		}
	}()
	var ev <-chan store.Event
	var last *store.LiveOutput
	pause := 100 * time.Millisecond
	follow := true // the znode is to be made (or found): at the start, and once gone
	for {
		if ev == nil {
			type got struct {
				owned bool
				data  []byte
				stat  store.Stat
				ev    <-chan store.Event
			}
			g, err := withCtx(ctx, func() (got, error) {
				var g got
				var err error
				if follow {
					if g.owned, err = c.st.FollowTask(ctx, id); err != nil {
						return g, err
					}
				}
				g.data, g.stat, g.ev, err = c.st.GetW(node)
				return g, err
			})
			owned = owned || g.owned
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
// bound: a long-lived client's session may outlive it by days. A delete
// that meets ZooKeeper away is sent again once the session is back, for up
// to a session timeout; then (the session most likely gone with the
// znode) it is given up.
func (c *Client) unfollow(node string) {
	deadline := time.Now().Add(c.st.SessionTimeout())
	for {
		err := c.st.Delete(node, -1)
		if err == nil || errors.Is(err, store.ErrNoNode) || !errors.Is(err, store.ErrConnection) {
			return
		}
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		_, err = c.st.CurrentSession(ctx)
		paced := err == nil && sleepFor(ctx, 100*time.Millisecond) // no spin on a link that drops each request
		cancel()
		if !paced {
			return
		}
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
