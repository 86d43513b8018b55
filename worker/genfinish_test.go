package worker

import (
	"strings"
	"testing"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// A task queued again many times by drover retry (store.MaxGen rounds of
// cancel-while-queued and retry leave Gen at MaxGen, attempt 1, no
// history) whose outcome needs its tail shortened to fit one znode (a
// worker with a larger OutputLimit) must still be reported. fitRecord
// fits the record to store.MaxRecordSize, but Finish now makes the result
// at version Gen (store.FinishedVersionOf) through Gen empty writes in the
// same multi, which neither fitRecord nor FinishEncoded count: a record of
// ~980 KB plus 1,000 empty writes is a request over jute.maxbuffer (1 MiB),
// ZooKeeper drops the worker's connection, the report is sent again on
// the same session, dropped again, for ever: the task never ends and each
// try cuts every other attempt's traffic on that worker. Enqueue refuses
// such a transaction with ErrTooLarge; Finish sends it.
func TestOutcomeOfATaskRetriedManyTimesFitsOneRequest(t *testing.T) {
	root := drovertest.NewRoot()
	w, st, _ := startWorker(t, root, "w1", func(c *Config) { c.OutputLimit = 2 << 20 })
	// Twice what fits (1,960,000 bytes): fitRecord halves it to ~980,000,
	// just under store.MaxRecordSize (983,040).
	task := &store.Task{Shell: true, Gen: store.MaxGen,
		Cmd: []string{`head -c 1960000 /dev/zero | tr '\0' o; printf END`}}
	assign(t, st, w, task)
	connected, changed := st.Connected()
	if !connected {
		t.Fatal("not connected")
	}
	got := result(t, st, task.ID)
	if got.State != store.StateSucceeded || !strings.HasSuffix(got.Stdout, "END") {
		t.Fatalf("result %s with %d bytes of stdout", got.State, len(got.Stdout))
	}
	select {
	case <-changed:
		t.Fatal("the worker's ZooKeeper connection dropped while reporting")
	default:
	}
}
