package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// The ZooKeeper client asks for the session timeout in whole milliseconds
// (int32(timeout / time.Millisecond)), and the server grants what it was
// sent: --session-timeout 2.0005s, within every bound, is granted 2s, and
// a5b17ee's warning then says ZooKeeper granted another timeout than the
// one asked, which it did not. (review205)
func TestNoGrantWarningForASubMillisecondTimeout(t *testing.T) {
	var logged drovertest.LogBuffer
	log := zerolog.New(&logged)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	asked := 2*time.Second + 500*time.Microsecond
	st, err := store.Open(ctx, store.Config{Servers: []string{drovertest.Addr()}, Root: drovertest.NewRoot(),
		SessionTimeout: asked, Logger: &log})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	drovertest.WaitFor(t, 20*time.Second, "a timeout granted", func() bool { return st.GrantedSessionTimeout() > 0 })
	if g := st.GrantedSessionTimeout(); g != 2*time.Second {
		t.Skipf("granted %v: the server bounds it", g)
	}
	if s := logged.String(); strings.Contains(s, "other than the one asked") {
		t.Fatalf("asked %v, granted %v (all the client sends): the store warns of another grant:\n%s", asked, st.GrantedSessionTimeout(), s)
	}
}
