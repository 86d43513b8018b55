package store_test

import (
	"context"
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
