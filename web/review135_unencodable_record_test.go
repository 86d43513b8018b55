package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/drover-sched/drover/client"
	"github.com/drover-sched/drover/drovertest"
)

// TestReview135TasksListingOutlivesARecordThatCannotBeWritten: a queued
// task record whose submitted_at carries a +24:00 offset (written by hand,
// or by another JSON writer) decodes: Go's time parser takes the offset.
// But Time.MarshalJSON refuses it ("timezone hour outside of range
// [0,23]"), and writeJSON ignores the encoder's error: /api/v1/tasks
// answers 200 with an empty body, every task of the cluster hidden behind
// that one record, and the dashboard cannot read its listing. It is not
// moved aside (client.Status moves malformed records aside) nor left out
// of the listing (as the skipped are), and nothing is logged.
func TestReview135TasksListingOutlivesARecordThatCannotBeWritten(t *testing.T) {
	// +23:60 too: the parser takes minutes to 60 (review136).
	for _, offset := range []string{"+24:00", "+23:60"} {
		t.Run(offset, func(t *testing.T) {
			root := drovertest.NewRoot()
			st := drovertest.OpenStore(t, root)
			c := client.New(st)
			res, err := c.Submit(context.Background(), []client.TaskSpec{{Cmd: []string{"true"}}, {Cmd: []string{"true"}}})
			if err != nil {
				t.Fatal(err)
			}
			odd := res[1].ID
			item := st.Layout().QueueItem(odd)
			data, stat, err := st.Get(item)
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]json.RawMessage
			if err := json.Unmarshal(data, &m); err != nil {
				t.Fatal(err)
			}
			m["submitted_at"], _ = json.Marshal(time.Now().UTC().Add(24*time.Hour).Format("2006-01-02T15:04:05") + offset)
			raw, _ := json.Marshal(m)
			if _, err := st.Set(item, raw, stat.Version); err != nil {
				t.Fatal(err)
			}
			hs := apiServer(t, st)
			r, err := http.Get(hs.URL + "/api/v1/tasks")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(r.Body)
			r.Body.Close()
			var list []map[string]any
			if err := json.Unmarshal(body, &list); err != nil || r.StatusCode != 200 || len(list) == 0 {
				t.Fatalf("/api/v1/tasks with one record at a %s offset: status %d, %d bytes of body %q (%v): want the listing with task %s, the odd one left out or moved aside",
					offset, r.StatusCode, len(body), body, err, res[0].ID)
			}
		})
	}
}
