package client

import (
	"context"
	"slices"
	"testing"

	"github.com/drover-sched/drover/drovertest"
)

// TaskFilter.Before (ls --before, the API's before=) is a predicate applied
// to each record read: the listing still walks every bucket and reads
// every record newer than the cursor, each charged to the budget, only to
// drop it. Buckets are named by id time, so those wholly newer than the
// cursor need not be read at all. Each page costs all the pages before it,
// and once the records newer than the cursor exceed the budget — the API's
// 1,000 (scanBudget), 50 pages of 20; ls's 10,000 — the next page the "more
// match" line names comes back empty, truncated, however many tasks are
// older. Here: 30 finished tasks; a page of 5 before the 20th newest, with
// a budget of 10 records (twice the page).
func TestReview187BeforeCursorReadsEveryNewerRecord(t *testing.T) {
	c, st := newClient(t)
	ctx := context.Background()
	var ids []string
	for range 30 {
		res, err := c.Submit(ctx, []TaskSpec{{Cmd: []string{"true"}}})
		if err != nil {
			t.Fatal(err)
		}
		drovertest.Succeed(t, st, res[0].ID)
		ids = append(ids, res[0].ID)
	}
	slices.Sort(ids)
	slices.Reverse(ids) // newest first
	got, err := c.ListTasks(ctx, ListOptions{Limit: 5, Budget: 10, Filter: TaskFilter{Before: ids[19]}})
	if err != nil {
		t.Fatal(err)
	}
	var page []string
	for _, task := range got.Tasks {
		page = append(page, task.ID)
	}
	t.Logf("page of 5 before the 20th newest, budget 10: %d tasks, scanned %d, truncated %v, exact %d", len(page), got.Scanned, got.Truncated, got.Exact)
	if !slices.Equal(page, ids[20:25]) {
		t.Fatalf("the page before the 20th newest of 30 (budget 10 records, page 5) got %v, want %v: --before reads and "+
			"drops every record newer than the cursor (charged to the budget) instead of skipping the buckets newer than it, "+
			"so paging stops once the pages before outgrow the budget", page, ids[20:25])
	}
}
