package scheduler

import (
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/drover-sched/drover/drovertest"
)

// A standby that stops says so, as a leader does ("stepped down: shutting
// down"): an operator reading a service's log saw nothing of its end.
func TestStandbyShutdownIsLogged(t *testing.T) {
	root := drovertest.NewRoot()
	leader, _ := runScheduler(t, drovertest.OpenStore(t, root), "s1")
	drovertest.WaitFor(t, 20*time.Second, "s1 to lead", leader.IsLeader)
	var logs lockedLog
	standby, stop := runScheduler(t, drovertest.OpenStore(t, root), "s2", func(c *Config) { c.Log = zerolog.New(&logs) })
	look := drovertest.OpenStore(t, root)
	drovertest.WaitFor(t, 20*time.Second, "s2 to stand by", func() bool {
		line, err := look.Candidates()
		return err == nil && len(line) == 2
	})
	stop()
	if standby.IsLeader() || !strings.Contains(logs.String(), `"message":"stood by: shutting down"`) {
		t.Fatalf("standby stopped: log %q; want a line saying it stood by and shut down", logs.String())
	}
}
