package client_test

import (
	"context"
	"testing"
	"time"

	"github.com/drover-sched/drover/client"
	"github.com/drover-sched/drover/drovertest"
)

// review177: ListTasks, SchedulesFirst, SchedulesPage and Schedule take a
// context, and their docs say they stop when it ends, but their reads take
// none: on a link gone silent (a partition without a reset, a frozen server)
// each waits for the ZooKeeper client's notice of the dead link, two thirds
// of the session timeout (6 s at this 9 s session, 6.7 s at the default 10 s),
// whatever the caller's context says, and then fails with "connection
// lost", not the context's error. Wait and WaitAll were fixed for exactly
// this (wait_ctx_test.go); a dashboard or API server bounding its reads by a
// request context is held the same way.
func TestReview177ReadsOnASilentLinkEndWithTheirContext(t *testing.T) {
	for _, c := range []struct {
		name string
		call func(ctx context.Context, cl *client.Client) error
	}{
		{"ListTasks", func(ctx context.Context, cl *client.Client) error {
			_, err := cl.ListTasks(ctx, client.ListOptions{})
			return err
		}},
		{"SchedulesFirst", func(ctx context.Context, cl *client.Client) error {
			_, _, _, err := cl.SchedulesFirst(ctx, 10)
			return err
		}},
		{"SchedulesPage", func(ctx context.Context, cl *client.Client) error {
			_, _, _, err := cl.SchedulesPage(ctx, 10)
			return err
		}},
		{"Schedule", func(ctx context.Context, cl *client.Client) error {
			_, err := cl.Schedule(ctx, "nightly")
			return err
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			px := drovertest.StartProxy(t, drovertest.Addr())
			root := drovertest.NewRoot()
			cl := client.New(drovertest.OpenStoreFor(t, px.Addr(), root, 9*time.Second))
			if _, err := cl.Submit(context.Background(), []client.TaskSpec{{Cmd: []string{"true"}}}); err != nil {
				t.Fatal(err)
			}
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
			go func() { done <- c.call(ctx, cl) }()
			drovertest.WaitFor(t, 5*time.Second, "the call's first request", px.Frozen)
			cancel()
			err, returned := drovertest.Received(done, 2*time.Second)
			if !returned {
				err = <-done
				t.Fatalf("%s on a silent link: still running 2s after its context ended; it returned %v", c.name, err)
			}
		})
	}
}
