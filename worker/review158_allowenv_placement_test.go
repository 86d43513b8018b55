package worker

import (
	"testing"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// A worker's program allow-list is in its registration, and the leader
// places a command only where it may run (README: "the leader places a
// command only on workers whose list may admit its program"), but its
// env policy (--allow-env, or the built-in list of variables refused
// with --allow) is not: a task with env FOO=1 is placed on a worker
// started with --allow-env 'JOB_*' as readily as on one beside it that
// would run it, and fails there, exit 126, "not allowed on this worker:
// env FOO", with no retry left. A mixed fleet (some workers locked down
// for untrusted submitters, others not) fails about half of such tasks.
// The registration could carry the env policy as it carries the
// allow-list, and placement skip a worker that refuses a task's names.
func TestReview158EnvPolicyRefusalsAreNotPlacedThere(t *testing.T) {
	root := drovertest.NewRoot()
	startScheduler(t, root, "s1")
	strict, _, _ := startWorker(t, root, "strict", func(c *Config) { c.AllowEnv, c.Capacity = []string{"JOB_*"}, 8 })
	startWorker(t, root, "plain", func(c *Config) { c.Capacity = 8 })
	st := drovertest.OpenStore(t, root)
	ids := submitCmd(t, st, 16, func(task *store.Task) { task.Env = map[string]string{"FOO": "1"} })
	refused := 0
	var example string
	for _, id := range ids {
		if got := result(t, st, id); got.State != store.StateSucceeded {
			refused++
			example = got.Worker + ": " + got.Error
		}
	}
	if refused > 0 {
		t.Fatalf("%d of %d tasks with env FOO failed on the worker whose --allow-env refuses FOO (%s; strict reported %d), while a worker that runs them had room", refused, len(ids), example, strict.Reported())
	}
}
