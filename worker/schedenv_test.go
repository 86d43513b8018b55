package worker

import (
	"context"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/client"
	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// TestScheduledTaskRunsUnderAllowEnv: a schedule's task carries
// DROVER_SCHEDULE and DROVER_SLOT in its env (the leader's firing and a
// client's trigger put them there; a client may not set DROVER_ names
// itself), and envDenied checks every env name against --allow-env. So on a
// worker with `--allow-env 'JOB_*'` every scheduled task fails, exit 126
// "env DROVER_SCHEDULE (see --allow-env)", though the task set only JOB_ID:
// the names are Drover's own, which README says the task sees; it now
// passes them over. (Found by review.)
func TestScheduledTaskRunsUnderAllowEnv(t *testing.T) {
	// As the leader fires a slot (scheduler/cron.go) and trigger does.
	task := &store.Task{ID: ulid.Make().String(), Attempt: 1, Name: "nightly",
		Cmd: []string{"sh", "-c", `echo "$DROVER_SCHEDULE $DROVER_SLOT $JOB_ID"`},
		Env: map[string]string{"JOB_ID": "7", "DROVER_SCHEDULE": "nightly", "DROVER_SLOT": "1700000000"}}
	out := execute(context.Background(), task, "w-exec", store.OutputTail, time.Now, policy{allowEnv: []string{"JOB_*"}})
	if !out.ok() || out.Stdout != "nightly 1700000000 7\n" {
		t.Fatalf("a scheduled task setting only JOB_ID, on a worker with --allow-env 'JOB_*': exit %d %q, stdout %q; want it run",
			out.ExitCode, out.Err, out.Stdout)
	}
}

// TestTriggeredScheduleRunsOnAnAllowEnvWorker is the same end to end: a
// leader, a worker with --allow-env 'JOB_*', and `drover schedule trigger`
// of a schedule whose task sets JOB_ID only.
func TestTriggeredScheduleRunsOnAnAllowEnvWorker(t *testing.T) {
	root := drovertest.NewRoot()
	startScheduler(t, root, "s1")
	startWorker(t, root, "strict-env", func(c *Config) { c.AllowEnv = []string{"JOB_*"} })
	c := client.New(drovertest.OpenStore(t, root))
	if _, err := c.AddSchedule(context.Background(), client.ScheduleSpec{Name: "nightly", Cron: "0 2 * * *",
		Task: client.TaskSpec{Cmd: []string{"sh", "-c", "echo $JOB_ID"}, Env: map[string]string{"JOB_ID": "7"}}}); err != nil {
		t.Fatal(err)
	}
	id, err := c.TriggerSchedule(context.Background(), "nightly")
	if err != nil {
		t.Fatal(err)
	}
	st := drovertest.OpenStore(t, root)
	if got := result(t, st, id); got.State != store.StateSucceeded || got.Stdout != "7\n" {
		t.Fatalf("a triggered schedule's task on a worker with --allow-env 'JOB_*': %s, exit %v %q", got.State, *got.ExitCode, got.Error)
	}
}

// TestWorkersOwnDroverVariablesDoNotReachTasks: taskEnv passes the worker's
// whole environment on and then sets DROVER_TASK_ID, DROVER_ATTEMPT,
// DROVER_WORKER_ID and, for a named task only, DROVER_TASK_NAME. A worker
// whose own environment holds Drover's task variables (started by a Drover
// task: a schedule that brings up workers, say) hands its DROVER_SCHEDULE,
// DROVER_SLOT and DROVER_TASK_NAME to every task it runs, and an unnamed
// task submitted by hand claims to be that schedule's slot, though "a task
// must be able to trust them (DROVER_SCHEDULE says a schedule fired it)"
// (store's validSubmit, which refuses them from clients for that reason).
// taskEnv now leaves them out. (Found by review.)
func TestWorkersOwnDroverVariablesDoNotReachTasks(t *testing.T) {
	t.Setenv("DROVER_SCHEDULE", "bring-up-workers")
	t.Setenv("DROVER_SLOT", "1700000000")
	t.Setenv("DROVER_TASK_NAME", "bring-up-workers")
	out := runCmd(t, context.Background(), &store.Task{Shell: true,
		Cmd: []string{`echo "[$DROVER_SCHEDULE][$DROVER_SLOT][$DROVER_TASK_NAME]"`}})
	if out.Stdout != "[][][]\n" {
		t.Fatalf("an unnamed task submitted by hand saw the worker's own Drover variables: %q", out.Stdout)
	}
}
