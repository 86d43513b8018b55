package client_test

import (
	"context"
	"testing"
	"time"

	"github.com/drover-sched/drover/client"
	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// review202: since 1705cde, Follow's deferred unfollow sends the delete of
// its follow znode again while ZooKeeper is away, for up to a session
// timeout, on a context of its own (context.Background with that
// deadline). A caller whose context ends while ZooKeeper is away (a
// program's shutdown, a request's deadline) is held for the whole session
// timeout after it: Follow takes a context, and the other calls taking one
// end with it (review177). (drover logs -f is saved by runClient closing
// the store a second after Ctrl-C; a Go caller has no such net.)
func TestReview202FollowEndsWithItsContextWhileZooKeeperIsAway(t *testing.T) {
	const session = 8 * time.Second
	px, c, id, check := followerThroughProxy(t, session)
	node := check.Layout().FollowNode(id)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	got := make(chan struct{}, 1)
	go func() {
		_, err := c.Follow(ctx, id, func(*store.LiveOutput) {
			select {
			case got <- struct{}{}:
			default:
			}
		})
		done <- err
	}()
	drovertest.WaitFor(t, 10*time.Second, "the follow znode", func() bool {
		ok, _, err := check.Exists(node)
		return err == nil && ok
	})
	// A publication, as a worker's: once Follow hands it on, it has made
	// its znode and owns it (its watch loop runs).
	if err := check.PublishLiveOutput(&store.LiveOutput{Task: id, Attempt: 1, Worker: "w1", Stdout: []byte("x"), StdoutBytes: 1}); err != nil {
		t.Fatal(err)
	}
	if _, ok := drovertest.Received(got, 10*time.Second); !ok {
		t.Fatal("Follow handed on no publication")
	}
	px.Cut(true) // ZooKeeper away (the session lives on the server for now)
	cancel()
	start := time.Now()
	defer func() {
		t.Logf("Follow returned %v after its context ended", time.Since(start).Round(10*time.Millisecond))
	}()
	if _, returned := drovertest.Received(done, 2*time.Second); !returned {
		err := <-done
		t.Fatalf("Follow, its context ended while ZooKeeper was away: returned %v only %v after (session timeout %v): the unfollow's retries outlast the caller's context",
			err, time.Since(start).Round(100*time.Millisecond), session)
	}
}

// followerThroughProxy is a client whose connection goes through a proxy
// (session timeout session; 0: the tests' own), a task it submitted that
// stays queued (no leader), and a store not through the proxy to look
// with.
func followerThroughProxy(t *testing.T, session time.Duration) (*drovertest.Proxy, *client.Client, string, *store.Store) {
	t.Helper()
	px := drovertest.StartProxy(t, drovertest.Addr())
	root := drovertest.NewRoot()
	var st *store.Store
	if session > 0 {
		st = drovertest.OpenStoreFor(t, px.Addr(), root, session)
	} else {
		st = drovertest.OpenStoreAt(t, px.Addr(), root)
	}
	c := client.New(st)
	res, err := c.Submit(context.Background(), []client.TaskSpec{{Cmd: []string{"true"}}})
	if err != nil {
		t.Fatal(err)
	}
	return px, c, res[0].ID, drovertest.OpenStore(t, root)
}
