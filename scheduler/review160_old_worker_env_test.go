package scheduler

import (
	"testing"

	"github.com/drover-sched/drover/store"
)

// TestReview160OlderWorkerWithAllowEnvStillTakesUnsafeNames: 75476ef has the
// leader judge a command's variable names by the worker's env policy, read
// from its registration: Restricted when it has an allow-list, AllowEnv
// from allow_env. A worker older than 75476ef registers no allow_env
// (codec.go: "older workers leave it out, and the leader then takes every
// name for admitted"; README: such tasks "may still be placed on it ... as
// before"). But with an allow-list the leader takes the missing allow_env
// for no --allow-env at all, and refuses the unsafe names (PATH, HOME,
// LD_*, ...): an older worker started with --allow /bin/sh --allow-env
// PATH, which runs a task setting PATH (its --allow-env is the rule, the
// built-in list no longer applies), and ran it before the leader was
// upgraded, is now never given it: in a rolling upgrade (leader first) the
// task waits for ever, "no registered worker ... runs what it runs".
// Expected: as documented, a registration without allow_env admits every
// name (or the leader tells an older registration from one of a worker
// with no --allow-env, e.g. a field saying the policy is registered).
func TestReview160OlderWorkerWithAllowEnvStillTakesUnsafeNames(t *testing.T) {
	older := &store.WorkerInfo{ID: "old", Capacity: 1, Allow: []string{"/bin/sh"}} // no allow_env: an older binary's
	task := &store.Task{ID: "01JAAAAAAAAAAAAAAAAAAAAAAA", Cmd: []string{"/bin/sh", "-c", "make"}, Env: map[string]string{"PATH": "/opt/tools/bin"}}
	if !Eligible(older, task) {
		t.Fatalf("a task setting PATH is not placed on a worker whose registration has an allow-list and no allow_env (an older worker's, which may run it with --allow-env PATH): README says an older worker's registration does not say, and such tasks are placed on it as before")
	}
}
