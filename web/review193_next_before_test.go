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
// to, until a page without it ("the last"), and returns every id shown.
func pageAll(t *testing.T, u string) (seen []string, log []string) {
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
			return seen, log
		}
	}
	t.Fatalf("%s: no last page after 10", u)
	return nil, nil
}

// TestReview193NextBeforeSkipsANewerTaskOfASourceLeftUnread: a page cut
// short by the scan budget in the queue (a backlog of other queued tasks
// under a matching one) names its last id, the queued task, in
// X-Drover-Next-Before. The finished tasks were left unread (the budget
// was spent), and one of them, matching, is newer than that id: the next
// page's walk starts below it, and never reads it. Paging as README says
// ("ask again with it as before for the next page ... a page without it is
// the last") ends without ever showing that task.
func TestReview193NextBeforeSkipsANewerTaskOfASourceLeftUnread(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	queueTasks(t, st, "a", minScan) // a backlog, the oldest
	queued := queueTasks(t, st, "b", 1)[0]
	done := finishTask(t, st, "b") // the newest matching task
	hs := apiServer(t, st)
	seen, log := pageAll(t, hs.URL+"/api/v1/tasks?name=b&limit=2")
	if !slices.Contains(seen, done) || !slices.Contains(seen, queued) {
		t.Errorf("paging name=b on X-Drover-Next-Before showed %v; want both matching tasks, %s (finished, the newest) and %s (queued): the cursor, the first page's last id, skipped the finished task newer than it, left unread when the budget ran out in the queue\n%v",
			seen, done, queued, log)
	}
}

// TestReview193EmptyTruncatedPageSaysNoNextBefore: a page whose scan
// budget runs out before any task matches (a queue backlog of others) is
// empty: X-Drover-Truncated, but no X-Drover-Next-Before, so by README
// ("a page without it is the last") no task matches, yet an older
// finished one does, and no `before` a client can give reaches it past
// the same backlog.
func TestReview193EmptyTruncatedPageSaysNoNextBefore(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	done := finishTask(t, st, "b")    // the one matching task, the oldest
	queueTasks(t, st, "a", minScan+1) // a backlog past the budget
	hs := apiServer(t, st)
	seen, log := pageAll(t, hs.URL+"/api/v1/tasks?name=b&limit=1")
	if !slices.Contains(seen, done) {
		t.Errorf("paging name=b on X-Drover-Next-Before showed %v; want %s: the first page, empty and truncated, said no X-Drover-Next-Before and so passed for the last\n%v",
			seen, done, log)
	}
}
