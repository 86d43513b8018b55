package client_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/drover-sched/drover/client"
	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// ctxapi: Status, List, Workers, Leader, Schedules, Deadletters, Cancel and
// the rest of the client's calls took no context: a Go program (an API
// server bounding a call by its request's context, a CLI with Ctrl-C)
// could not stop them, and on a link gone silent each held for two thirds
// of the session timeout (6 s at this 9 s session). They take one now, as
// ListTasks does (review177): a read ends with its context, its error
// returned, and so does a write that has sent nothing yet (Cancel's look
// at the task), leaving the task as it was.
func TestCtxAPICallsOnASilentLinkEndWithTheirContext(t *testing.T) {
	for _, c := range []struct {
		name string
		call func(ctx context.Context, cl *client.Client, id string) error
	}{
		{"Status", func(ctx context.Context, cl *client.Client, id string) error {
			_, err := cl.Status(ctx, id)
			return err
		}},
		{"List", func(ctx context.Context, cl *client.Client, _ string) error {
			_, err := cl.List(ctx, "", 0)
			return err
		}},
		{"Workers", func(ctx context.Context, cl *client.Client, _ string) error {
			_, err := cl.Workers(ctx)
			return err
		}},
		{"Leader", func(ctx context.Context, cl *client.Client, _ string) error {
			_, err := cl.Leader(ctx)
			return err
		}},
		{"Schedules", func(ctx context.Context, cl *client.Client, _ string) error {
			_, err := cl.Schedules(ctx)
			return err
		}},
		{"Deadletters", func(ctx context.Context, cl *client.Client, _ string) error {
			_, _, err := cl.Deadletters(ctx, 0)
			return err
		}},
		{"Cancel", func(ctx context.Context, cl *client.Client, id string) error {
			_, err := cl.Cancel(ctx, id) // silent at its look at the task: nothing sent
			return err
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			px := drovertest.StartProxy(t, drovertest.Addr())
			root := drovertest.NewRoot()
			cl := client.New(drovertest.OpenStoreFor(t, px.Addr(), root, 9*time.Second))
			res, err := cl.Submit(context.Background(), []client.TaskSpec{{Cmd: []string{"true"}}}) // no worker: it stays queued
			if err != nil {
				t.Fatal(err)
			}
			id := res[0].ID
			if _, err := cl.AddSchedule(context.Background(), client.ScheduleSpec{Name: "nightly", Cron: "0 3 * * *",
				Task: client.TaskSpec{Cmd: []string{"true"}}}); err != nil {
				t.Fatal(err)
			}
			// Silent from the call's first request on (it names the root):
			// the call is then past any look at its context.
			px.FreezeAt([]byte(root))
			defer px.Cut(true)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- c.call(ctx, cl, id) }()
			drovertest.WaitFor(t, 5*time.Second, "the call's first request", px.Frozen)
			cancel()
			err, returned := drovertest.Received(done, 2*time.Second)
			if !returned {
				err = <-done
				t.Fatalf("%s on a silent link: still running 2s after its context ended; it returned %v", c.name, err)
			}
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("%s on a silent link, its context cancelled: returned %v, want its context's error", c.name, err)
			}
			if c.name == "Cancel" {
				got, err := client.New(drovertest.OpenStore(t, root)).Status(context.Background(), id)
				if err != nil || got.State != store.StateQueued {
					t.Fatalf("the task after a cancel ended before it sent anything: %+v, %v; want it queued still", got, err)
				}
			}
		})
	}
}
