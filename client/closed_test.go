package client

import (
	"context"
	"errors"
	"testing"

	"github.com/drover-sched/drover/store"
)

// A client whose store was closed (a program shutting down, a component
// that closed the store it shared) should get store.ErrClosed, which says
// the store will not work again, from every call. A call made after the
// close got store.ErrConnection ("zookeeper connection lost": the outcome
// is unknown, re-read and go on; only a wait under way at the close got
// ErrClosed), so a caller that retries on it, as its doc invites, retries
// for good; scheduler.Run did just that
// (TestSchedulerRunReturnsWhenItsStoreCloses). (Found by review.)
func TestCallsOnAClosedStoreSayItIsClosed(t *testing.T) {
	c, st := newClient(t)
	res, err := c.Submit(context.Background(), []TaskSpec{{Cmd: []string{"true"}}})
	if err != nil {
		t.Fatal(err)
	}
	id := res[0].ID
	st.Close()
	for _, call := range []struct {
		name string
		do   func() error
	}{
		{"Submit", func() error {
			_, err := c.Submit(context.Background(), []TaskSpec{{Cmd: []string{"true"}}})
			return err
		}},
		{"Status", func() error { _, err := c.Status(context.Background(), id); return err }},
		{"Wait", func() error { _, err := c.Wait(context.Background(), id); return err }},
		{"Cancel", func() error { _, err := c.Cancel(context.Background(), id); return err }},
		{"Leader", func() error { _, err := c.Leader(context.Background()); return err }},
		{"Schedules", func() error { _, err := c.Schedules(context.Background()); return err }},
	} {
		if err := call.do(); !errors.Is(err, store.ErrClosed) {
			t.Errorf("%s on a closed store: %v, want store.ErrClosed (is store.ErrConnection: %v)",
				call.name, err, errors.Is(err, store.ErrConnection))
		}
	}
}
