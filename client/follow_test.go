package client

import (
	"context"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// A follow znode made by hand (persistent) would outlive every follower
// and take the task's output whenever it ran: the follower that finds it
// moves it to deadletter and follows through an ephemeral one of its own.
func TestFollowMovesAsideAPersistentFollowZnode(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	c := New(st)
	res, err := c.Submit(context.Background(), []TaskSpec{{Cmd: []string{"true"}}}) // no leader: stays queued
	if err != nil {
		t.Fatal(err)
	}
	id := res[0].ID
	node := st.Layout().FollowNode(id)
	if err := st.Create(node, nil); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.Follow(ctx, id, func(*store.LiveOutput) {})
		done <- err
	}()
	drovertest.WaitFor(t, 20*time.Second, "the persistent follow znode moved aside and an ephemeral one made", func() bool {
		ok, s, err := st.Exists(node)
		return err == nil && ok && s.EphemeralOwner != 0
	})
	entries, _, err := c.Deadletters(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].From != node {
		t.Fatalf("deadletter %+v; want the follow znode %s", entries, node)
	}
	cancel()
	if err := <-done; err == nil {
		t.Fatal("Follow returned nil when its context ended before the task did")
	}
	drovertest.WaitFor(t, 20*time.Second, "the follower's znode gone", func() bool {
		ok, _, err := st.Exists(node)
		return err == nil && !ok
	})
}
