package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/drover-sched/drover/zkserver"
)

// TestChaosEnsembleFaults runs the suite with faults of the ensemble itself
// that TestChaos does not inject: its quorum lost for longer than the
// session timeout, its leader paused (SIGSTOP) past the session, its leader
// or every member killed with SIGKILL (mid-transaction, data dirs kept).
func TestChaosEnsembleFaults(t *testing.T) { runChaos(t, ensembleFaults) }

// zkLeader returns the index of the ensemble member that reports itself
// leader, or -1.
func zkLeader(c *cluster, skip int) int {
	for i, s := range c.ens.Servers() {
		if i == skip || !s.Running() {
			continue
		}
		if ans, err := zkserver.FourLetter(s.Addr(), "srvr"); err == nil && zkserver.Mode(ans) == "leader" {
			return i
		}
	}
	return -1
}

func ensembleFaults(session time.Duration, rng *rand.Rand) []fault {
	pause := session + 2*time.Second
	restart := func(c *cluster, idx ...int) error {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		for _, i := range idx {
			if err := c.ens.Servers()[i].Restart(ctx); err != nil {
				return err
			}
		}
		return c.ens.WaitReady(ctx)
	}
	return []fault{
		{"lose the ensemble's quorum past the session", func(c *cluster) (time.Duration, error) {
			keep := rng.IntN(3)
			var down []int
			for i := range c.ens.Servers() {
				if i != keep {
					if err := c.ens.Servers()[i].Halt(); err != nil {
						return 0, err
					}
					down = append(down, i)
				}
			}
			c.t.Logf("fault: ZooKeeper servers %v down, %d alone", down, keep)
			time.Sleep(pause)
			return 0, restart(c, down...)
		}},
		{"SIGSTOP the ZooKeeper leader past the session", func(c *cluster) (time.Duration, error) {
			i := zkLeader(c, -1)
			if i < 0 {
				return 0, fmt.Errorf("no ZooKeeper leader")
			}
			pid := c.ens.Servers()[i].Pid()
			c.t.Logf("fault target ZooKeeper leader %d (pid %d)", i, pid)
			if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
				return 0, err
			}
			deadline := time.Now().Add(time.Minute)
			for zkLeader(c, i) < 0 && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
			}
			time.Sleep(pause)
			if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
				return 0, err
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			return 0, c.ens.WaitReady(ctx)
		}},
		{"kill -9 the ZooKeeper leader", func(c *cluster) (time.Duration, error) {
			i := zkLeader(c, -1)
			if i < 0 {
				return 0, fmt.Errorf("no ZooKeeper leader")
			}
			c.t.Logf("fault target ZooKeeper leader %d", i)
			if err := c.ens.Servers()[i].Kill(); err != nil {
				return 0, err
			}
			time.Sleep(session / 2)
			return 0, restart(c, i)
		}},
		{"kill -9 every ZooKeeper server", func(c *cluster) (time.Duration, error) {
			for _, s := range c.ens.Servers() {
				if err := s.Kill(); err != nil {
					return 0, err
				}
			}
			time.Sleep(pause)
			return 0, restart(c, 0, 1, 2)
		}},
	}
}
