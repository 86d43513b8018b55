package worker

import (
	"context"

	"testing"

	"github.com/drover-sched/drover/store"
)

// Findings of review7, each a test that fails while the bug stands.

// TestCommandsDoNotInheritZooKeeperCredentials: the worker reads its
// ZooKeeper identity from DROVER_ZK_AUTH (and a dashboard's from
// DROVER_ZK_AUTH_READONLY), and taskEnv hands the worker's whole
// environment to every command. Any submitter then reads the owner's
// credentials with `drover submit --wait -- printenv DROVER_ZK_AUTH`, and so
// does anyone who can read results (the read-only identity, the dashboard),
// and a command run with --run-as as a lesser user gets them too.
func TestCommandsDoNotInheritZooKeeperCredentials(t *testing.T) {
	t.Setenv("DROVER_ZK_AUTH", "owner:s3cret")
	t.Setenv("DROVER_ZK_AUTH_READONLY", "viewer:s3cret2")
	out := runCmd(t, context.Background(), &store.Task{Shell: true,
		Cmd: []string{`echo "[$DROVER_ZK_AUTH][$DROVER_ZK_AUTH_READONLY]"`}})
	if out.Stdout != "[][]\n" {
		t.Fatalf("a command saw the worker's ZooKeeper credentials: %q", out.Stdout)
	}
}
