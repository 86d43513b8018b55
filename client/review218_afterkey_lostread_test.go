package client

import (
	"context"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// A submit whose look-up of what it waits for loses its connection, the
// server back at once on the same session, looks again: the look-up of an
// after id does (client.lookup asks again once reconnected), the read of
// an after_key's record failed the submit, "read key: connection lost"
// (drover submit -f of a file waiting for many keys, each read in turn
// before any line is sent, ended at the first drop).
func TestReview218AfterKeyReadLostOnceIsReadAgain(t *testing.T) {
	for _, by := range []string{"after", "after_key"} {
		t.Run(by, func(t *testing.T) {
			root := drovertest.NewRoot()
			st := drovertest.OpenStore(t, root)
			res, err := New(st).Submit(context.Background(), []TaskSpec{{Cmd: []string{"true"}, Key: "extract"}})
			if err != nil {
				t.Fatal(err)
			}
			id := res[0].ID
			px := drovertest.StartProxy(t, drovertest.Addr())
			c := New(drovertest.OpenStoreAt(t, px.Addr(), root))
			spec, marker := TaskSpec{Cmd: []string{"true"}, After: []string{id}}, []byte(id)
			if by == "after_key" {
				spec, marker = TaskSpec{Cmd: []string{"true"}, AfterKey: []string{"extract"}}, []byte(store.KeyHash("extract"))
			}
			px.FreezeAt(marker) // the look-up's read: sent, never answered
			type outcome struct {
				res []store.SubmitResult
				err error
			}
			done := make(chan outcome, 1)
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				res, err := c.Submit(ctx, []TaskSpec{spec})
				done <- outcome{res, err}
			}()
			drovertest.WaitFor(t, 10*time.Second, "the look-up's read sent", px.Frozen)
			px.Cut(true)
			px.Cut(false) // back, at once, on the same session
			got := <-done
			if got.err != nil {
				t.Fatalf("submit %s, its look-up's read cut off once and the server back at once: %v", by, got.err)
			}
			task, err := New(st).Status(context.Background(), got.res[0].ID)
			if err != nil || len(task.After) != 1 || task.After[0] != id {
				t.Fatalf("the waiting task %+v (%v), want after [%s]", task, err, id)
			}
		})
	}
}
