package client

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/drover-sched/drover/store"
)

// schedulesInflight bounds the schedules ApplySchedules, WouldApplySchedules
// and RemoveSchedules have in flight, their requests pipelined on the
// store's one connection.
const schedulesInflight = 64

// zkClockFresh is how long ApplySchedules times its writes by one read of
// ZooKeeper's clock.
const zkClockFresh = time.Second

// ApplySchedules applies each of specs as ApplySchedule does, many at a
// time, their requests pipelined (one at a time, an apply of 20,000 took
// 100 s). The specs must name different schedules.
//
// It differs from ApplySchedule in two ways, neither a promise's: the
// store is synced once, before any apply begins, and each record is read
// without a sync of its own (what was added before the call began is seen,
// as ApplySchedule's read sees it); and its writes are timed by one read of
// ZooKeeper's clock a second, run on by this host's between reads, instead
// of a read each. That time, as each read's was, is before the write's own:
// ZooKeeper stamped the read at some moment before its reply, to which it
// is paired, so a slow read makes it early, never late. A run with nothing
// to write reads the clock never (the read is a write).
//
// done is called with each spec's index and what its apply did, or its
// error, as it ends: one call at a time, in no set order. An error of
// ctx's (ctx ended) means nothing of that apply was written. Once ctx ends,
// or done returns false, no further apply begins, and those begun end as
// ApplySchedule's do; ApplySchedules returns once every one begun has
// ended. An error that is no one spec's (a spec refused, a name given
// twice, the sync) is returned before any apply begins, with no call.
func (c *Client) ApplySchedules(ctx context.Context, specs []ScheduleSpec, done func(i int, applied Applied, err error) bool) error {
	wants, err := c.recordsOf(ctx, specs)
	if err != nil {
		return err
	}
	clock := &runClock{c: c, ctx: ctx}
	var mu sync.Mutex
	inFlight(ctx, len(wants), func(i int) bool {
		first, err := withCtx(ctx, func() (readRecord, error) { return c.getSchedule(wants[i].Name) })
		var applied Applied
		if err == nil {
			_, applied, err = c.apply(ctx, wants[i], clock.now, &first)
		}
		mu.Lock()
		defer mu.Unlock()
		return done(i, applied, err)
	})
	return nil
}

// WouldApplySchedules says, for each of specs, what ApplySchedules would
// do now, as WouldApply does, writing nothing; done, ctx and its error are
// as ApplySchedules's.
func (c *Client) WouldApplySchedules(ctx context.Context, specs []ScheduleSpec, done func(i int, applied Applied, err error) bool) error {
	wants, err := c.recordsOf(ctx, specs)
	if err != nil {
		return err
	}
	var mu sync.Mutex
	inFlight(ctx, len(wants), func(i int) bool {
		got, err := withCtx(ctx, func() (readRecord, error) { return c.getSchedule(wants[i].Name) })
		var applied Applied
		if err == nil {
			applied, err = c.wouldApply(got.rec, wants[i])
		}
		mu.Lock()
		defer mu.Unlock()
		return done(i, applied, err)
	})
	return nil
}

// RemoveSchedules removes each of the schedules named as RemoveSchedule
// does, many at a time, their requests pipelined; done and ctx are as
// ApplySchedules's (an error of ctx's: that one was not removed).
func (c *Client) RemoveSchedules(ctx context.Context, names []string, done func(i int, err error) bool) {
	var mu sync.Mutex
	inFlight(ctx, len(names), func(i int) bool {
		err := c.RemoveSchedule(ctx, names[i])
		mu.Lock()
		defer mu.Unlock()
		return done(i, err)
	})
}

// recordsOf is the record each of specs makes, checked as ApplySchedule
// checks one, and their names each given once; once they are, the store
// is synced (readSchedule syncs only when it finds no record).
func (c *Client) recordsOf(ctx context.Context, specs []ScheduleSpec) ([]*store.Schedule, error) {
	wants := make([]*store.Schedule, len(specs))
	seen := make(map[string]bool, len(specs))
	for i, spec := range specs {
		want, err := spec.Record(c.now())
		if err != nil {
			return nil, fmt.Errorf("%w: schedule %s: %w", ErrInvalid, spec.Name, err)
		}
		if seen[want.Name] {
			// Two applies of one name in flight at once: either might
			// land last.
			return nil, fmt.Errorf("%w: schedule %s given twice", ErrInvalid, want.Name)
		}
		seen[want.Name] = true
		wants[i] = want
	}
	_, err := withCtx(ctx, func() (struct{}, error) { return struct{}{}, c.st.Sync(c.st.Layout().Schedules()) })
	if err != nil {
		return nil, fmt.Errorf("sync with ZooKeeper's leader: %w", err)
	}
	return wants, nil
}

// runClock is ZooKeeper's clock for the writes of one call: read when
// first asked, and again once the last read is zkClockFresh old, and run
// on between reads by this host's monotonic clock (as a leader runs its
// own reading on). Paired with this host's time after the reply, a
// reading is early by as long as the read took, never late.
type runClock struct {
	c   *Client
	ctx context.Context

	mu        sync.Mutex
	zk, local time.Time // the last reading, and this host's time then
}

func (k *runClock) now() (time.Time, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if now := k.c.now(); k.local.IsZero() || now.Sub(k.local) >= zkClockFresh || now.Before(k.local) {
		zk, err := withCtx(k.ctx, k.c.zkNow)
		if err != nil {
			return time.Time{}, err
		}
		k.zk, k.local = zk.UTC(), k.c.now()
	}
	return k.zk.Add(k.c.now().Sub(k.local)), nil
}

// inFlight calls do(0), do(1), ... in that order, each from a goroutine of
// its own, up to schedulesInflight at a time. Once ctx has ended, or a do
// has returned false, it begins none; it returns once every do begun has
// returned.
func inFlight(ctx context.Context, n int, do func(i int) bool) {
	var (
		wg   sync.WaitGroup
		stop atomic.Bool
	)
	slots := make(chan struct{}, schedulesInflight)
	for i := 0; i < n && !stop.Load(); i++ {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil || stop.Load() {
			break
		}
		wg.Go(func() {
			defer func() { <-slots }()
			if !do(i) {
				stop.Store(true)
			}
		})
	}
	wg.Wait()
}
