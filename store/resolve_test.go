package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// One server name of the ensemble that does not resolve (a host being
// replaced, its DNS record gone; ".invalid" never resolves, RFC 6761) must
// not keep a process from the servers that do: ZooKeeper's own client
// (StaticHostProvider) skips such a name and connects to the others, and an
// ensemble of three is built so that one server may be missing. Open failed
// at once with ErrNoAddress instead, so every drover command, scheduler and
// worker restarted then exited 1 while a quorum was up. (Found by review.)
func TestOpenSkipsAServerNameThatDoesNotResolve(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st, err := store.Open(ctx, store.Config{
		Servers:        []string{drovertest.Addr(), "zk-gone.drover-test.invalid:2181"},
		Root:           drovertest.NewRoot(),
		SessionTimeout: 2 * time.Second,
	})
	if err != nil {
		t.Fatalf("open with one live server and one name that does not resolve: %v", err)
	}
	st.Close()
}

// A daemon whose server names do not resolve yet (it starts before its
// resolver, at boot) looks them up again until its context ends, as it waits
// for a server that does not answer: it failed at once, and its service
// manager's restarts, two seconds apart, soon reached their limit and
// stopped for good (review123). A command fails at once (a mistyped name).
func TestOpenWithRetryNamesWaitsForANameToResolve(t *testing.T) {
	servers := []string{"zk-not-yet.drover-test.invalid:2181"}
	if _, err := store.Open(context.Background(), store.Config{Servers: servers, Root: drovertest.NewRoot()}); !errors.Is(err, store.ErrNoAddress) {
		t.Fatalf("a command's open: %v, want ErrNoAddress at once", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	_, err := store.Open(ctx, store.Config{Servers: servers, Root: drovertest.NewRoot(), RetryNames: true})
	if !errors.Is(err, store.ErrNoAddress) || ctx.Err() == nil {
		t.Fatalf("a daemon's open: %v with its context still live (%v): it gave up before its context ended", err, ctx.Err())
	}
}
