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

// TestReview136TasksListingOutlivesARecordAtOffset2360: review135's
// listing test with the 24-hour offset spelled +23:60, which Go's parser
// takes and store.reencodes does not look for ("+24:"/"-24:" only): the
// record is neither refused nor moved aside, and since writeJSON now
// marshals first, /api/v1/tasks answers 500 "encode the answer: ...",
// every task of the cluster hidden behind that one record.
func TestReview136TasksListingOutlivesARecordAtOffset2360(t *testing.T) {
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
	m["submitted_at"], _ = json.Marshal(time.Now().UTC().Add(24*time.Hour).Format("2006-01-02T15:04:05") + "+23:60")
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
		t.Fatalf("/api/v1/tasks with one record at +23:60 (a 24-hour offset): status %d, %d bytes of body %q (%v): want the listing with task %s, the odd one left out or moved aside",
			r.StatusCode, len(body), body, err, res[0].ID)
	}
}
