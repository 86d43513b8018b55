package web

import (
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// TestReview192LookAheadSpendsTheBudgetOfTheNewerSources: the one task
// more that a page asks for is looked for in the queue first, with the
// whole scan budget: a queue that holds the page's limit of matching tasks
// and a backlog of others is read to the budget's end, and the placed and
// finished tasks, newer, are left unread. Before, the queue gave its limit
// and the finished source was read too: a page of one, a name filter,
// showed the newest matching task, a finished one. Now it shows an older
// queued one, X-Drover-Truncated.
func TestReview192LookAheadSpendsTheBudgetOfTheNewerSources(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	queueTasks(t, st, "a", minScan) // a backlog
	queued := queueTasks(t, st, "b", 1)[0]
	now := time.Now().UTC()
	done := &store.Task{ID: ulid.Make().String(), Name: "b", Cmd: []string{"true"}, State: store.StateSucceeded, Attempt: 1,
		SubmittedAt: now, FinishedAt: now}
	if err := st.CommitCreatingBuckets([]string{done.ID}, func(txn *store.Txn) error { return txn.Finish(done) }); err != nil {
		t.Fatal(err)
	}
	hs := apiServer(t, st)
	var got []struct {
		ID string `json:"id"`
	}
	u := hs.URL + "/api/v1/tasks?name=b&limit=1"
	r := getList(t, u, &got)
	if len(got) != 1 || got[0].ID != done.ID || r.Header.Get("X-Drover-Truncated") != "" || r.Header.Get("X-Drover-Next-Before") != done.ID {
		t.Errorf("%s: %v (X-Drover-Truncated %q, X-Drover-Next-Before %q, X-Drover-Scanned %s); want [%s], the newest matching task (finished), X-Drover-Next-Before it: the queue holds one more (%s)",
			u, got, r.Header.Get("X-Drover-Truncated"), r.Header.Get("X-Drover-Next-Before"), r.Header.Get("X-Drover-Scanned"), done.ID, queued)
	}
}
