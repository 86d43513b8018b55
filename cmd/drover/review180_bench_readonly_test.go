package main

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/drover-sched/drover/drovertest"
)

// README, Security: DROVER_ZK_AUTH_READONLY "adds a read-only identity ...
// to what the process given it creates: give it to every process that
// writes". drover bench --zk writes its phases' trees with the credentials
// of DROVER_ZK_AUTH (cmd/drover/bench.go passes g.zkAuth to bench.Config
// and to the processes it starts), but drops the read-only identity it
// was given: bench.Config has no field for it, and its processes' env
// carries DROVER_ZK_AUTH alone. So every znode of a bench run carries the
// owner's entry only, and the dashboard's read-only identity may not read
// any of it. (review180)
func TestReview180BenchGivesTheReadOnlyIdentityNothing(t *testing.T) {
	const owner, viewer = "owner180:pw", "viewer180:vpw"
	cmd := exec.Command(binary, "--zk", zkAddr, "--session-timeout", "2s", "bench",
		"--duration", "3s", "--tasks", "50", "--cli-tasks", "0", "--cron-fanout", "0", "--workers", "1")
	cmd.Env = append(os.Environ(), "DROVER_ZK_AUTH="+owner, "DROVER_ZK_AUTH_READONLY="+viewer)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Signal(syscall.SIGINT); _ = cmd.Wait() })

	conn, _, err := zk.Connect([]string{zkAddr}, 5*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conn.Close)
	if err := conn.AddAuth("digest", []byte(viewer)); err != nil {
		t.Fatal(err)
	}
	var root string
	var readErr error
	drovertest.WaitFor(t, 60*time.Second, "a bench root, read by the read-only identity", func() bool {
		kids, _, err := conn.Children("/")
		if err != nil {
			return false
		}
		for _, k := range kids {
			if !strings.HasPrefix(k, "drover-bench-") {
				continue
			}
			_, _, err := conn.Children("/" + k)
			if errors.Is(err, zk.ErrNoNode) {
				continue // deleted as its phase ended
			}
			root, readErr = "/"+k, err
			return true
		}
		return false
	})
	if readErr != nil {
		t.Fatalf("drover bench given DROVER_ZK_AUTH_READONLY made %s, which the read-only identity may not read: %v", root, readErr)
	}
}
