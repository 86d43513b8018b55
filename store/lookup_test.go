package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// A task record that does not decode is a *RecordError naming the task,
// the path and the stat read, from every read of a task's record, so that
// the caller can move that very record aside (client.Wait and WaitAll did
// not know where the result they could not read was).
func TestUnreadableTaskRecordIsARecordError(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	lay := st.Layout()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	now := time.Now()
	good := &store.Task{ID: store.NewTaskID(now), Cmd: []string{"true"}, SubmittedAt: now.UTC(), Attempt: 1,
		State: store.StateSucceeded, FinishedAt: now.UTC()}
	bad := store.NewTaskID(now)
	if err := st.CommitCreatingBuckets([]string{good.ID}, func(txn *store.Txn) error { return txn.Finish(good) }); err != nil {
		t.Fatal(err)
	}
	if err := st.Create(lay.Result(bad), []byte("{junk")); err != nil {
		t.Fatal(err)
	}
	_, stat, err := st.Get(lay.Result(bad))
	if err != nil {
		t.Fatal(err)
	}
	check := func(what string, err error) {
		t.Helper()
		var rerr *store.RecordError
		if !errors.As(err, &rerr) || !errors.Is(err, store.ErrMalformed) || rerr.Task != bad ||
			rerr.Loc.Path != lay.Result(bad) || rerr.Loc.Stat.Czxid != stat.Czxid || rerr.Loc.Stat.Version != stat.Version {
			t.Fatalf("%s: %#v; want a RecordError of %s at %s", what, err, bad, lay.Result(bad))
		}
	}
	var got []string
	check("WaitResults", st.WaitResults(ctx, []string{bad, good.ID}, func(t *store.Task) { got = append(got, t.ID) }))
	if len(got) != 1 || got[0] != good.ID {
		t.Fatalf("WaitResults passed on %v, want the readable result of %s", got, good.ID)
	}
	_, err = st.WaitResult(ctx, bad)
	check("WaitResult", err)
	_, loc, err := st.LookupTask(bad)
	check("LookupTask", err)
	if loc.Path != lay.Result(bad) {
		t.Fatalf("LookupTask: location %+v", loc)
	}
}
