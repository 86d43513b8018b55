package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
)

// The session timeout a store works with is the one the server granted: a
// server bounds it (20 ticks at most by default), and a worker that counted
// on the one it asked for would stop its attempts late when cut off.
func TestGrantedSessionTimeout(t *testing.T) {
	st := drovertest.OpenStoreFor(t, drovertest.Addr(), drovertest.NewRoot(), time.Hour)
	if got := st.GrantedSessionTimeout(); got <= 0 || got >= time.Hour {
		t.Fatalf("granted %v for an hour asked: want the server's bound", got)
	}
	if d := time.Until(st.SessionDeadline()); d <= 0 || d > st.GrantedSessionTimeout() {
		t.Fatalf("session deadline in %v, want within the granted %v", d, st.GrantedSessionTimeout())
	}
}

// A sequential ephemeral create that failed after its znode was made (here
// the look at its owner cut off and the caller's ctx ended) says which znode
// it made: this session keeps it alive, and an election candidate that
// joined again without deleting it would stand behind it, behind itself.
// It said nothing, and the znode stayed in line unknown. (Found by review.)
func TestCreateSequentialEphemeralNamesTheZnodeItMadeWhenItFails(t *testing.T) {
	root := drovertest.NewRoot()
	px := drovertest.StartProxy(t, drovertest.Addr())
	st := drovertest.OpenStoreAt(t, px.Addr(), root)
	dir := st.Layout().Election()
	// Only the owner's look names the first child's sequence number: the
	// create's request has none yet.
	px.FreezeAt([]byte("-0000000000"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type result struct {
		node string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		node, _, err := st.CreateSequentialEphemeral(ctx, dir, "n_", []byte(`{"v":1}`))
		done <- result{node, err}
	}()
	drovertest.WaitFor(t, 10*time.Second, "the znode made, its owner's look frozen", px.Frozen)
	cancel()
	px.Cut(true)
	var r result
	select {
	case r = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("CreateSequentialEphemeral did not return after its ctx ended")
	}
	px.Cut(false)
	if r.err == nil {
		t.Fatalf("created %s with no error after its ctx ended cut off", r.node)
	}
	if !strings.HasPrefix(r.node, "n_") || !strings.HasSuffix(r.node, "-0000000000") {
		t.Fatalf("failed with %v naming %q, want the znode it made", r.err, r.node)
	}
}
