package web

import (
	"context"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// A page of /api/v1/tasks that more tasks may match names the next page's
// `before` (X-Drover-Next-Before: its last id), as drover ls's "more
// match" line does; a short page, the last, says nothing. A full page may
// be the last: the page after it is empty.
func TestAPITasksPageSaysWhetherMoreMatch(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	var ids []string
	var batch []*store.Task
	for range 5 {
		id := ulid.Make().String()
		ids = append(ids, id)
		batch = append(batch, &store.Task{ID: id, Cmd: []string{"true"}, SubmittedAt: time.Now().UTC()})
	}
	if _, err := st.Submit(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	slices.Sort(ids)
	slices.Reverse(ids) // newest first, as pages are
	hs := apiServer(t, st)
	var seen []string
	before := ""
	for page := 0; page < 5; page++ {
		u := hs.URL + "/api/v1/tasks?limit=2"
		if before != "" {
			u += "&before=" + url.QueryEscape(before)
		}
		var got []struct {
			ID string `json:"id"`
		}
		r := getList(t, u, &got)
		for _, g := range got {
			seen = append(seen, g.ID)
		}
		next := r.Header.Get("X-Drover-Next-Before")
		if more := len(seen) < len(ids); more != (next != "") || more && next != got[len(got)-1].ID {
			t.Fatalf("page %d (%s): %d tasks, X-Drover-Next-Before %q; want the last id shown while more match (%d of %d seen)",
				page, u, len(got), next, len(seen), len(ids))
		}
		if next == "" {
			break
		}
		before = next
	}
	if !slices.Equal(seen, ids) {
		t.Errorf("pages showed %v, want %v", seen, ids)
	}
	var all []struct{}
	if r := getList(t, hs.URL+"/api/v1/tasks?limit=5", &all); len(all) != 5 || r.Header.Get("X-Drover-Next-Before") != ids[4] {
		t.Errorf("limit=5 of 5: %d tasks, X-Drover-Next-Before %q, want %s: a full page may have more", len(all), r.Header.Get("X-Drover-Next-Before"), ids[4])
	}
	if r := getList(t, hs.URL+"/api/v1/tasks?limit=5&before="+ids[4], &all); len(all) != 0 || r.Header.Get("X-Drover-Next-Before") != "" {
		t.Errorf("the page after the last: %d tasks, X-Drover-Next-Before %q", len(all), r.Header.Get("X-Drover-Next-Before"))
	}
}
