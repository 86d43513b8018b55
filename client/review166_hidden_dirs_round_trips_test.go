package client

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// 585cb36's store.holding stats every worker directory hidden from the
// reader, one Exists at a time, each waiting for its reply, after the
// listing of the assignments found the task nowhere (LookupTaskIn) or a
// waited id unseen (checkKnown). The hidden directories are every worker's
// when the fleet was started without DROVER_ZK_AUTH_READONLY: the
// read-only identity's status (and wait) of an id that names no task then
// costs one more round trip per worker, where the listing itself is
// pipelined (docs/PERFORMANCE.md: with 500 workers, pipelining the
// lookup's listing took it from 223 - 407 ms to 52 - 89 ms). Adding 200
// idle hidden directories should not add 200 round trips (one each) to a look-up.
func TestReview166HoldingStatsHiddenDirsOneRoundTripEach(t *testing.T) {
	root := drovertest.NewRoot()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cfg := func(addr, auth, ro string) store.Config {
		return store.Config{Servers: []string{addr}, Root: root, SessionTimeout: 4 * time.Second, Auth: auth, ReadOnlyAuth: ro}
	}
	open := func(c store.Config) *store.Store {
		st, err := store.Open(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	open(cfg(drovertest.Addr(), "owner:s3cret", "viewer:v1ew")) // the tree, readable by the viewer
	blind := open(cfg(drovertest.Addr(), "owner:s3cret", ""))   // as a worker without the read-only identity
	hide := func(from, to int) {
		for i := from; i < to; i++ {
			if err := blind.Create(blind.Layout().WorkerTasks(fmt.Sprintf("hw%03d", i)), nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	hide(0, 1)

	px := drovertest.StartProxy(t, drovertest.Addr())
	c := cfg(px.Addr(), "viewer:v1ew", "")
	c.MustExist = true
	vc := New(open(c))
	lookup := func() int64 {
		id := store.NewTaskID(time.Now()) // no such task
		trips := px.RoundTrips()
		_, err := vc.Status(context.Background(), id)
		trips = px.RoundTrips() - trips
		t.Logf("status of an unknown id: %d round trips: %v", trips, err)
		return trips
	}
	one := lookup()
	const more = 200
	hide(1, 1+more)
	many := lookup()
	if many-one >= more/2 {
		t.Errorf("the read-only identity's status of an unknown id took %d round trips beside 1 hidden worker directory and %d beside %d: one more per hidden directory (holding stats them one at a time)",
			one, many, 1+more)
	}
}
