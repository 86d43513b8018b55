package store_test

import (
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
