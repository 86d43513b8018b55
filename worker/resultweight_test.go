package worker

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// The outcome of a late attempt that ends the task is fitted to what its
// result's transaction carries: Finish makes the result at version Gen
// (store.FinishedVersionOf), through Gen empty writes, whatever the attempt.
// The worker weighs it with store.VersionWriteBytes, the empty writes of a
// queue item (Gen + the attempts before), so an attempt late in a long
// retry run loses half of an output tail that Finish takes as it is: here
// attempt 500 of a task of generation 0 reserves 499 empty writes (~45 KB)
// that the result's transaction never makes.
func TestOutcomeOfALateAttemptIsFittedToItsResultsWrites(t *testing.T) {
	root := drovertest.NewRoot()
	w, st, _ := startWorker(t, root, "w1", func(c *Config) { c.OutputLimit = 2 << 20 })
	const attempt = 500
	now := time.Now().UTC()
	task := &store.Task{Shell: true, Retries: attempt, Attempt: attempt}
	for n := 1; n < attempt; n++ {
		task.AddAttempt(store.Attempt{N: n, Worker: "w0", StartedAt: now, FinishedAt: now, ExitCode: 1})
	}
	// The result as the worker writes it, with no output: what the output
	// tail has around it.
	probe := task.Clone()
	probe.ID = "01JEXAMPLE0000000000000000"
	probe.AddAttempt(store.Attempt{N: attempt, Worker: "w1", StartedAt: now, FinishedAt: now})
	zero := 0
	probe.State, probe.ExitCode, probe.FinishedAt, probe.Worker, probe.Reg = store.StateSucceeded, &zero, now, "w1", w.Reg()
	base, err := store.Encode(probe)
	if err != nil {
		t.Fatal(err)
	}
	// Twice what fits beside it, less 1 KiB of slack: fitRecord halves it
	// once to a result Finish takes (generation 0: no empty writes).
	kept := store.MaxRecordSize - len(base) - 1024
	task.Cmd = []string{fmt.Sprintf(`head -c %d /dev/zero | tr '\0' o; printf END`, 2*kept-3)}
	assign(t, st, w, task)
	got := result(t, st, task.ID)
	if got.State != store.StateSucceeded || !strings.HasSuffix(got.Stdout, "END") {
		t.Fatalf("result %s with %d bytes of stdout", got.State, len(got.Stdout))
	}
	if len(got.Stdout) < kept {
		t.Fatalf("result kept %d bytes of stdout, want %d: the worker weighed %d bytes of empty writes a result at version %d does not make",
			len(got.Stdout), kept, store.VersionWriteBytes(got, len(st.Layout().QueueItem(got.ID))), store.FinishedVersionOf(got))
	}
}
