package web

import (
	"context"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// queueTasks queues n tasks named name, oldest first, and returns their ids.
func queueTasks(t *testing.T, st *store.Store, name string, n int) []string {
	t.Helper()
	var ids []string
	for len(ids) < n {
		var batch []*store.Task
		for i := 0; i < 100 && len(ids) < n; i++ {
			id := ulid.Make().String()
			ids = append(ids, id)
			batch = append(batch, &store.Task{ID: id, Name: name, Cmd: []string{"true"}, SubmittedAt: time.Now().UTC()})
		}
		if _, err := st.Submit(context.Background(), batch); err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

// TestReview192FullPageAtTheBudgetSaysMoreMayMatch: a page that finds
// its limit of tasks as its scan budget (scanBudget) runs out, the one
// more it asked for not found, is known to be the newest (res.Exact), so
// it says no X-Drover-Truncated, and, having not seen one more, no
// X-Drover-Next-Before: it reads as the last page. Yet older matching
// tasks lie beyond the budget, and asking again with `before` its last id
// finds them (drover ls says "whether more match is unknown"). A client
// that pages on X-Drover-Next-Before, as README tells it to, stops there.
func TestReview192FullPageAtTheBudgetSaysMoreMayMatch(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	older := queueTasks(t, st, "b", 3) // the page's task, its newest, and two more
	queueTasks(t, st, "a", minScan-1)  // the budget's rest: the newest
	hs := apiServer(t, st)
	var got []struct {
		ID string `json:"id"`
	}
	u := hs.URL + "/api/v1/tasks?state=queued&name=b&limit=1"
	r := getList(t, u, &got)
	if len(got) != 1 || got[0].ID != older[2] {
		t.Fatalf("%s: %v, want [%s] (X-Drover-Scanned %s)", u, got, older[2], r.Header.Get("X-Drover-Scanned"))
	}
	if r.Header.Get("X-Drover-Next-Before") == "" && r.Header.Get("X-Drover-Truncated") == "" {
		t.Errorf("%s: the newest of 3 matching tasks shown, found as the scan budget ran out (X-Drover-Scanned %s): neither X-Drover-Next-Before nor X-Drover-Truncated; the page passes for the last, though asking again with before=%s finds 2 more",
			u, r.Header.Get("X-Drover-Scanned"), older[2])
	}
	var next []struct{}
	if getList(t, u+"&before="+older[2], &next); len(next) != 1 {
		t.Errorf("the next page, before=%s: %d tasks, want 1", older[2], len(next))
	}
}
