package web

import (
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// finishTask writes a succeeded task named name as a result, and returns its id.
func finishTask(t *testing.T, st *store.Store, name string) string {
	t.Helper()
	now := time.Now().UTC()
	done := &store.Task{ID: ulid.Make().String(), Name: name, Cmd: []string{"true"}, State: store.StateSucceeded, Attempt: 1,
		SubmittedAt: now, FinishedAt: now}
	if err := st.CommitCreatingBuckets([]string{done.ID}, func(txn *store.Txn) error { return txn.Finish(done) }); err != nil {
		t.Fatal(err)
	}
	return done.ID
}

// pageAll follows X-Drover-Next-Before from u, as README tells a client
// to, until a page without it, and returns every id shown and whether the
// last page was X-Drover-Truncated.
func pageAll(t *testing.T, u string) (seen []string, truncated bool, log []string) {
	t.Helper()
	before := ""
	for page := 0; page < 10; page++ {
		pu := u
		if before != "" {
			pu += "&before=" + url.QueryEscape(before)
		}
		var got []struct {
			ID string `json:"id"`
		}
		r := getList(t, pu, &got)
		for _, g := range got {
			seen = append(seen, g.ID)
		}
		log = append(log, pu+": "+r.Header.Get("X-Drover-Scanned")+" scanned, truncated "+r.Header.Get("X-Drover-Truncated")+", next "+r.Header.Get("X-Drover-Next-Before"))
		if before = r.Header.Get("X-Drover-Next-Before"); before == "" {
			return seen, r.Header.Get("X-Drover-Truncated") == "true", log
		}
	}
	t.Fatalf("%s: no last page after 10", u)
	return nil, false, nil
}

// TestReview193NextBeforeSkipsANewerTaskOfASourceLeftUnread: a page cut
// short by the scan budget in the queue (a backlog of other queued tasks
// under a matching one) named its last id, the queued task, in
// X-Drover-Next-Before. The finished tasks were left unread (the budget
// was spent), and one of them, matching, is newer than that id: the next
// page's walk started below it, never read it, and the paging ended on a
// page that passed for the last. Now a cut page names no cursor past the
// tasks it knows to be the newest (none here): the paging stops on the
// truncated page, which says that matching tasks may be missing (the API
// reads no further than its budget: README).
func TestReview193NextBeforeSkipsANewerTaskOfASourceLeftUnread(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	queueTasks(t, st, "a", minScan) // a backlog, the oldest
	queued := queueTasks(t, st, "b", 1)[0]
	done := finishTask(t, st, "b") // the newest matching task
	hs := apiServer(t, st)
	seen, truncated, log := pageAll(t, hs.URL+"/api/v1/tasks?name=b&limit=2")
	if (!slices.Contains(seen, done) || !slices.Contains(seen, queued)) && !truncated {
		t.Errorf("paging name=b on X-Drover-Next-Before showed %v, its last page not truncated; want both matching tasks, %s (finished, the newest) and %s (queued), or the paging to end on a truncated page: a cursor skipped the finished task\n%v",
			seen, done, queued, log)
	}
}

// TestReview193EmptyTruncatedPageSaysNoNextBefore: a page whose scan
// budget runs out before any task matches (a queue backlog of others) is
// empty, with X-Drover-Truncated and no X-Drover-Next-Before: not the
// last page (README: "a page with neither it nor X-Drover-Truncated is the
// last"), and no cursor passes the backlog's unread sources.
func TestReview193EmptyTruncatedPageSaysNoNextBefore(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	done := finishTask(t, st, "b")    // the one matching task, the oldest
	queueTasks(t, st, "a", minScan+1) // a backlog past the budget
	hs := apiServer(t, st)
	seen, truncated, log := pageAll(t, hs.URL+"/api/v1/tasks?name=b&limit=1")
	if !slices.Contains(seen, done) && !truncated {
		t.Errorf("paging name=b on X-Drover-Next-Before showed %v; want %s, or the paging to end on a truncated page: an empty page passed for the last\n%v",
			seen, done, log)
	}
}
