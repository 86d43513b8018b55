package client

import (
	"context"
	"encoding/binary"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// A cancel or a retry whose reply was lost, and whose look for it loses its
// connection too (a whole ensemble restarting, a second drop), fails with
// ErrUnconfirmed, "outcome unknown: ... connection lost", though its write
// was applied: drover cancel and retry exit 1 saying the outcome is
// unknown, and doing it again then fails ("already finished", "cannot be
// retried"). A submit in the same spot looks again once back (fixed for
// submit: TestLostSubmitReplyWhoseLookLosesItsConnectionToo); Cancel and
// Retry give up at the first look that fails, as client.reconnected's sync
// and the look-up after it do not wait out a lost connection.
func TestLostCancelAndRetryReplyWhoseLookLosesItsConnectionToo(t *testing.T) {
	for _, op := range []string{"cancel", "retry"} {
		t.Run(op, func(t *testing.T) {
			root := drovertest.NewRoot()
			px := drovertest.StartProxy(t, drovertest.Addr())
			c := New(drovertest.OpenStoreAt(t, px.Addr(), root))
			st := drovertest.OpenStore(t, root)
			lay := st.Layout()
			res, err := New(st).Submit(context.Background(), []TaskSpec{{Cmd: []string{"true"}}})
			if err != nil {
				t.Fatal(err)
			}
			id := res[0].ID
			call, marker, applied, want := c.Cancel, `"state":"cancelled"`, lay.Result(id), store.StateCancelled
			if op == "retry" {
				if _, err := New(st).Cancel(context.Background(), id); err != nil {
					t.Fatal(err)
				}
				call, marker, applied, want = c.Retry, `"state":"queued"`, lay.QueueItem(id), store.StateQueued
			}
			// The look's first request, a sync of the root (opcode 9),
			// goes unanswered: its connection is lost too.
			sync := binary.BigEndian.AppendUint32(nil, 9)
			sync = binary.BigEndian.AppendUint32(sync, uint32(len(root)))
			sync = append(sync, root...)
			var looks atomic.Int32
			testHookReconnecting = func() {
				if looks.Add(1) == 1 {
					px.Cut(false)
					px.FreezeAt(sync)
				}
			}
			t.Cleanup(func() { testHookReconnecting = nil })
			px.DropRepliesAfter([]byte(marker))
			type outcome struct {
				t   *store.Task
				err error
			}
			done := make(chan outcome, 1)
			go func() {
				got, err := call(context.Background(), id)
				done <- outcome{got, err}
			}()
			drovertest.WaitFor(t, 10*time.Second, op+" applied", func() bool {
				ok, _, err := st.Exists(applied)
				return err == nil && ok
			})
			px.Cut(true) // the reply is lost; the look begins, its sync is dropped
			drovertest.WaitFor(t, 10*time.Second, "the look's sync sent", px.Frozen)
			px.Cut(true)
			px.Cut(false) // back, at once, on the same session
			got := <-done
			now, err := New(st).Status(context.Background(), id)
			if err != nil || now.State != want {
				t.Fatalf("the task after the %s: %+v, %v", op, now, err)
			}
			if got.err != nil {
				t.Fatalf("the %s was applied (the task is %s now), its reply lost and its look cut off once, then the server back at once: "+
					"it failed with %q; a submit in the same spot looks again once back", op, now.State, got.err)
			}
		})
	}
}
