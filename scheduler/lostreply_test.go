package scheduler

import (
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// lostReplyCluster is a root whose scheduler talks to ZooKeeper through a
// proxy that can lose replies (DropRepliesAfter), with a session long
// enough to outlive a blip, so the term goes on; st talks to ZooKeeper
// directly.
type lostReplyCluster struct {
	root    string
	st, lst *store.Store
	px      *drovertest.Proxy
	logs    lockedLog
}

func newLostReplyCluster(t *testing.T) *lostReplyCluster {
	t.Helper()
	return newLostReplyClusterFor(t, 20*time.Second)
}

// newLostReplyClusterFor is newLostReplyCluster with the scheduler's
// session timeout given (a short one to let it expire).
func newLostReplyClusterFor(t *testing.T, session time.Duration) *lostReplyCluster {
	t.Helper()
	c := &lostReplyCluster{root: drovertest.NewRoot()}
	c.st = drovertest.OpenStore(t, c.root)
	c.px = drovertest.StartProxy(t, drovertest.Addr())
	c.lst = drovertest.OpenStoreFor(t, c.px.Addr(), c.root, session)
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(c.logs.String())
		}
	})
	return c
}

// run starts scheduler s1 on the proxied store, logging to c.logs.
func (c *lostReplyCluster) run(t *testing.T) (*Scheduler, func()) {
	t.Helper()
	return runScheduler(t, c.lst, "s1", func(cfg *Config) { cfg.Log = zerolog.New(&c.logs) })
}

// runWithWorker registers worker w (capacity 1), starts s1 and waits
// until it leads with w in its view.
func (c *lostReplyCluster) runWithWorker(t *testing.T) (*Scheduler, *fakeWorker) {
	t.Helper()
	w := registerWorker(t, c.root, "w", 1, nil)
	s, _ := c.run(t)
	drovertest.WaitFor(t, 20*time.Second, "leading with the worker in view", func() bool {
		st := s.Stats()
		return st.Leader && st.ViewReady && st.Workers == 1
	})
	return s, w
}

// blip cuts the scheduler's connection, once its replies are being
// dropped, and waits until s has rebuilt its view on a new one.
func (c *lostReplyCluster) blip(t *testing.T, s *Scheduler) {
	t.Helper()
	c.px.Cut(true)
	drovertest.WaitFor(t, 15*time.Second, "the leader's store to see the cut", func() bool { ok, _ := c.lst.Connected(); return !ok })
	c.px.Cut(false)
	drovertest.WaitFor(t, 20*time.Second, "the view rebuilt", func() bool { return c.logs.count("view rebuilt") >= 2 && s.Stats().ViewReady })
}
