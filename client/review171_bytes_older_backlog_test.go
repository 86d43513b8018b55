package client

import (
	"context"
	"strings"
	"testing"

	"github.com/drover-sched/drover/drovertest"
)

// TestReview171ByteBudgetSpentOnTasksThePageDrops: ListOptions.MaxBytes
// (9b9af0f; the API's listMaxBytes) is charged for every task a source
// keeps, before the sources are merged and cut to the newest Limit. The
// queue is read first: a backlog of older queued tasks with large commands
// spends the budget, the listing stops (Truncated) and never reads the
// newer, small finished tasks — which are the page (the newest Limit), and
// would hold a fraction of the budget. The page shows the old backlog in
// their place. Without MaxBytes (and before 9b9af0f, in the API) the page
// is the newest tasks. Here: 4 queued tasks of 10 KiB, then 4 newer
// finished ones of a few bytes, Limit 4, MaxBytes 32 KiB.
func TestReview171ByteBudgetSpentOnTasksThePageDrops(t *testing.T) {
	c, st := newClient(t)
	ctx := context.Background()
	big := strings.Repeat("x", 10<<10)
	for range 4 {
		if _, err := c.Submit(ctx, []TaskSpec{{Cmd: []string{"echo", big}, On: map[string]string{"gpu": "none"}}}); err != nil {
			t.Fatal(err)
		}
	}
	var newest []string
	for range 4 {
		res, err := c.Submit(ctx, []TaskSpec{{Cmd: []string{"true"}}})
		if err != nil {
			t.Fatal(err)
		}
		drovertest.Succeed(t, st, res[0].ID)
		newest = append([]string{res[0].ID}, newest...)
	}
	all, err := c.ListTasks(ctx, ListOptions{Limit: 4})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Tasks) != 4 || all.Tasks[0].ID != newest[0] {
		t.Fatalf("setup: without a byte budget the page is not the 4 finished tasks")
	}
	got, err := c.ListTasks(ctx, ListOptions{Limit: 4, MaxBytes: 32 << 10})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, task := range got.Tasks {
		ids = append(ids, task.ID)
	}
	if len(ids) != 4 || ids[0] != newest[0] || got.Truncated {
		t.Fatalf("page of the newest 4 (4 finished tasks of a few bytes each, after 4 older queued of 10 KiB) under a 32 KiB budget: got %d tasks %v (truncated %v, exact %d); want %v: the budget went to older queued tasks the page drops",
			len(ids), ids, got.Truncated, got.Exact, newest)
	}
}
