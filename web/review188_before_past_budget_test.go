package web

import (
	"context"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
	"github.com/oklog/ulid/v2"
)

// TestReview188APIBeforeCannotReachPastTheScanBudget: /api/v1/tasks takes
// `before` (README: "as drover ls takes them": the id to page on), but the
// cursor only filters the records read (client.TaskFilter.Before): every
// record newer than it is read and counts toward the listing's budget
// (scanBudget: 10 per task asked for, at least 1,000), which the API does
// not let a client raise. With 1,002 tasks queued, the oldest, asked for
// by before= the second oldest, is never reached: the answer is [] with
// X-Drover-Truncated, whatever the page size; paging on from any page ends
// there, and no request lists the tasks older than the newest 1,000 to
// 10,000.
func TestReview188APIBeforeCannotReachPastTheScanBudget(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	const n = minScan + 2
	ids := make([]string, 0, n)
	for len(ids) < n {
		var batch []*store.Task
		for i := 0; i < 100 && len(ids) < n; i++ {
			id := ulid.Make().String()
			ids = append(ids, id)
			batch = append(batch, &store.Task{ID: id, Cmd: []string{"true"}, SubmittedAt: time.Now().UTC()})
		}
		if _, err := st.Submit(context.Background(), batch); err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(ids) // oldest first
	hs := apiServer(t, st)
	var got []struct {
		ID string `json:"id"`
	}
	r := getList(t, hs.URL+"/api/v1/tasks?limit=1&before="+url.QueryEscape(ids[1]), &got)
	if len(got) != 1 || got[0].ID != ids[0] {
		var shown []string
		for _, g := range got {
			shown = append(shown, g.ID)
		}
		t.Errorf("tasks?limit=1&before=<the second oldest of %d>: %v (X-Drover-Scanned %s, X-Drover-Truncated %q), want [%s]: the %d newer records used up the budget before the cursor",
			n, shown, r.Header.Get("X-Drover-Scanned"), r.Header.Get("X-Drover-Truncated"), ids[0], n-1)
	}
}
