package web

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// TestReview192NextBeforeUnderTheByteCap: /api/v1/tasks asks for one task
// more than it shows, to say in X-Drover-Next-Before whether more match.
// But the task asked for beyond the page also counts toward the page's
// byte cap (listMaxBytes, client.ListOptions.MaxBytes): when the page's
// tasks fit and the one more does not, fit cuts it, and the page comes
// back as the whole, neither X-Drover-Next-Before nor X-Drover-Truncated
// (the page is known to be the newest, res.Exact == limit), though a task
// more matches. A page the cap cuts shorter than its limit says
// X-Drover-Truncated, but not where the next page starts either.
func TestReview192NextBeforeUnderTheByteCap(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	big := strings.Repeat("x", 250_000)                // under the submitted task's limit (256 KiB)
	held := 512 + (16 + len("echo")) + (16 + len(big)) // client's heldBytes of each, slimmed
	fit := listMaxBytes / held                         // the most a page holds
	if (fit+1)*held <= listMaxBytes || fit < 2 {
		t.Fatalf("%d tasks of %d bytes: want a page of %d to fit and one of %d not", fit+1, held, fit, fit+1)
	}
	var ids []string
	for range fit + 1 {
		id := ulid.Make().String()
		ids = append(ids, id)
		task := &store.Task{ID: id, Cmd: []string{"echo", big}, SubmittedAt: time.Now().UTC()}
		if _, err := st.Submit(context.Background(), []*store.Task{task}); err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(ids)
	slices.Reverse(ids)                          // newest first
	hs := apiServerReading(t, st, 2*time.Minute) // 33 MB read per page
	for _, limit := range []int{fit, fit + 10} {
		var got []struct {
			ID string `json:"id"`
		}
		u := hs.URL + "/api/v1/tasks?limit=" + strconv.Itoa(limit)
		r := getList(t, u, &got)
		if len(got) == 0 || len(got) >= len(ids) {
			t.Fatalf("%s: %d tasks of %d", u, len(got), len(ids))
		}
		want := got[len(got)-1].ID
		if next := r.Header.Get("X-Drover-Next-Before"); next != want {
			t.Errorf("%s: %d of the %d matching tasks shown (X-Drover-Truncated %q, X-Drover-Scanned %s), X-Drover-Next-Before %q; want %s, the last shown: more match",
				u, len(got), len(ids), r.Header.Get("X-Drover-Truncated"), r.Header.Get("X-Drover-Scanned"), r.Header.Get("X-Drover-Next-Before"), want)
		}
	}
}
