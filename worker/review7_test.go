package worker

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
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

// TestAllowListIsNotBypassedThroughTheEnvironment: the allow-list admits a
// program by its path, but the task chooses the program's environment. A
// bash script on the list runs whatever a task puts in BASH_ENV (bash
// expands it, command substitution included, before it reads the file), so
// a task that may run one allowed script runs anything (LD_PRELOAD,
// PYTHONPATH and their like do the same with a file to hand).
func TestAllowListIsNotBypassedThroughTheEnvironment(t *testing.T) {
	if _, err := os.Stat("/bin/bash"); err != nil {
		t.Skip("no /bin/bash")
	}
	dir := t.TempDir()
	script := dir + "/report.sh"
	if err := os.WriteFile(script, []byte("#!/bin/bash\necho report\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	task := &store.Task{ID: "01JAAAAAAAAAAAAAAAAAAAAAAA", Attempt: 1, Cmd: []string{script},
		Env: map[string]string{"BASH_ENV": "$(touch " + dir + "/pwned)"}}
	out := execute(context.Background(), task, "w-exec", store.OutputTail, time.Now, policy{allow: []string{script}})
	if _, err := os.Stat(dir + "/pwned"); err == nil {
		t.Fatalf("a task ran a command the allow-list (%s) does not admit, through BASH_ENV (outcome %+v)", script, out)
	}
}

// TestHandlerCannotChangeTheTaskSpec: a Go handler is given the record's own
// Env map and Payload bytes (runHandler builds Task{Payload: task.Payload,
// Env: task.Env}), and report then clones the record, edits included. A
// handler that adds a default to its env or decodes its payload in place
// rewrites the task's spec in its result (and in the retry it queues); one
// that does so after it was abandoned (it ignored its context) races with
// the report's Clone: a concurrent map read and write ends the worker.
func TestHandlerCannotChangeTheTaskSpec(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	w := runHandler(t, root, 0, "h", HandlerFunc(func(_ context.Context, t *Task) ([]byte, error) {
		t.Env["ADDED_BY_HANDLER"] = "1"
		copy(t.Payload, "XXXX")
		return nil, nil
	}))
	task := &store.Task{Handler: "h", Payload: []byte("spec"), Env: map[string]string{"K": "v"}}
	assign(t, st, w, task)
	got := result(t, st, task.ID)
	if got.State != store.StateSucceeded {
		t.Fatalf("result %+v", got)
	}
	if string(got.Payload) != "spec" || len(got.Env) != 1 || got.Env["K"] != "v" {
		t.Fatalf("the handler rewrote the task's spec: payload %q env %v (submitted %q, map[K:v])", got.Payload, got.Env, "spec")
	}
}
