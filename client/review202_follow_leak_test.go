package client_test

import (
	"context"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// review202: Follow runs FollowTask under withCtx, which returns the
// context's error at once when the context ends and leaves FollowTask to
// go on in the background; and FollowTask looks at the context only
// before its reads, not between them and its create. A Follow whose
// context ends while its create is on its way (a slow link, a server
// restarting: the chaos suite's 2 s followers under faults) returns with
// owned false, and the znode FollowTask then makes is this session's, and
// nobody deletes it: a long-lived client (the chaos suite's, a Go program)
// keeps it as long as its session lives (its workers publish the task's
// output to it meanwhile, and it counts against the 1,024 followers), and
// the chaos suite's "follow znodes left a minute after" check fails.
func TestReview202FollowEndedMidCreateLeavesNoFollowZnode(t *testing.T) {
	px, c, id, check := followerThroughProxy(t, 0)
	node := check.Layout().FollowNode(id)
	// The follower's first request naming its znode (FollowTask's Exists)
	// is held, and what its connection sends after it.
	px.HoldAt([]byte(node))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := c.Follow(ctx, id, func(*store.LiveOutput) {})
		done <- err
	}()
	if _, held := drovertest.Received(px.Held(), 10*time.Second); !held {
		t.Fatal("Follow sent no request naming its follow znode")
	}
	cancel()
	err, returned := drovertest.Received(done, 5*time.Second)
	if !returned {
		t.Fatal("Follow did not return after its context ended")
	}
	t.Logf("Follow returned %v", err)
	px.Release() // the requests on their way arrive
	made := drovertest.Eventually(10*time.Second, func() bool {
		ok, _, err := check.Exists(node)
		return err == nil && ok
	})
	if !made {
		return // nothing made after the follow ended: nothing left
	}
	if !drovertest.Eventually(10*time.Second, func() bool {
		ok, _, err := check.Exists(node)
		return err == nil && !ok
	}) {
		_, s, _ := check.Exists(node)
		t.Fatalf("follow znode %s, made after its Follow returned (%v), still there 10 s later, owned by the follower's live session (0x%x): nobody deletes it while the client lives",
			node, err, s.EphemeralOwner)
	}
}
