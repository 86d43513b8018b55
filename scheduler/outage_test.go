package scheduler

import (
	"bytes"
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/zkserver"
)

// logLines keeps a logger's JSON lines for a test to look through.
type logLines struct {
	mu    sync.Mutex
	lines [][]byte
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, bytes.Clone(p))
	return len(p), nil
}

// find returns the first line whose message is msg and that pred accepts.
func (l *logLines) find(msg string, pred func(map[string]any) bool) map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range l.lines {
		var m map[string]any
		if json.Unmarshal(line, &m) == nil && m["message"] == msg && (pred == nil || pred(m)) {
			return m
		}
	}
	return nil
}

// A ZooKeeper outage longer than the session timeout that the leader's
// session survives (a standalone server restarted; an ensemble that lost
// its quorum for a while: no session expires meanwhile) ends the term at
// the client's deadline, as meant. But Resign cannot delete the election
// znode while ZooKeeper is away. The next campaign's clearLeft tried again
// on a backoff that reached 10 s (+20%) and did not heed the connection's
// return: for that long after ZooKeeper was back, the znode of a live
// session that leads nothing stood first in line, and the cluster had no
// leader (a standby would wait behind it too). The store deletes such a
// znode as soon as it is connected now (store.Abandon). Before 0f8e2ca the
// term went on across such an outage.
func TestLeaderAgainSoonAfterAnOutageItsSessionSurvived(t *testing.T) {
	srv, err := zkserver.Start(context.Background(), zkserver.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	root := drovertest.NewRoot()
	st := drovertest.OpenStoreFor(t, srv.Addr(), root, 4*time.Second)
	logs := &logLines{}
	s1, _ := runScheduler(t, st, "s1", func(c *Config) { c.Log = zerolog.New(logs).With().Timestamp().Logger() })
	drovertest.WaitFor(t, 15*time.Second, "s1 leads", s1.IsLeader)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	sess, err := st.CurrentSession(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Halt(); err != nil {
		t.Fatal(err)
	}
	drovertest.WaitFor(t, 15*time.Second, "s1 steps down (past its session's deadline)", func() bool { return !s1.IsLeader() })
	drovertest.WaitFor(t, 60*time.Second, "s1's resign failed", func() bool {
		return logs.find("resign failed: the store deletes the election znode once connected", nil) != nil
	})
	rctx, rcancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer rcancel()
	if err := srv.Restart(rctx); err != nil {
		t.Fatal(err)
	}
	back := time.Now()
	drovertest.WaitFor(t, 30*time.Second, "s1 leads again", s1.IsLeader)
	gap := time.Since(back)
	select {
	case <-sess.Done():
		t.Logf("the session expired meanwhile: the scenario did not happen")
		return
	default:
	}
	if gap > 3*time.Second {
		t.Fatalf("ZooKeeper was back and s1's session alive, yet no leader for %v (epoch %d): the old election znode stood",
			gap.Round(100*time.Millisecond), s1.Epoch())
	}
}
