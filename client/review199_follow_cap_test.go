package client

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// review199: README: "At most 1,024 tasks are followed at once (exit 1
// beyond)". A follower let in below the cap is put out once the follow
// directory fills: Follow calls store.FollowTask again each time its
// znode's watch fires (every publication), and FollowTask counts the
// directory first, its own znode included, and refuses at 1,024. Here
// `logs -f` of a task gets its first line, 1,023 other tasks are followed,
// the task prints its second line, and Follow returns "too many
// followers" instead of the line and, later, the task's end.
func TestReview199FollowerAdmittedStaysWhenTheFollowDirectoryFills(t *testing.T) {
	root := drovertest.NewRoot()
	runLeader(t, root)
	runCommandWorker(t, root, "w1")
	c := New(drovertest.OpenStore(t, root))
	gate := filepath.Join(t.TempDir(), "gate")
	res, err := c.Submit(context.Background(), []TaskSpec{{Shell: true,
		Cmd: []string{"echo one; while [ ! -e " + gate + " ]; do sleep 0.02; done; echo two"}}})
	if err != nil {
		t.Fatal(err)
	}
	id := res[0].ID
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	outs := make(chan *store.LiveOutput, 100)
	type ended struct {
		t   *store.Task
		err error
	}
	done := make(chan ended, 1)
	go func() {
		tk, err := c.Follow(ctx, id, func(o *store.LiveOutput) { outs <- o })
		done <- ended{tk, err}
	}()
	for first := false; !first; {
		select {
		case o := <-outs:
			first = o.StdoutBytes == 4
		case e := <-done:
			t.Fatalf("Follow ended before the first line: %v, %v", e.t, e.err)
		case <-ctx.Done():
			t.Fatal("no publication of the first line")
		}
	}
	others := drovertest.OpenStore(t, root)
	for range store.MaxFollowers - 1 {
		if _, err := others.FollowTask(context.Background(), store.NewTaskID(time.Now())); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-done:
		if e.err != nil {
			t.Fatalf("a follower let in with 1 task followed, once 1,023 more are: Follow returned %v; want it to go on to the task's end", e.err)
		}
		if e.t == nil || e.t.State != store.StateSucceeded {
			t.Fatalf("Follow returned %+v", e.t)
		}
	case <-ctx.Done():
		t.Fatal("Follow did not return")
	}
}
