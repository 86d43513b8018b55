package scheduler

import (
	"encoding/json"
	"maps"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/store"
)

// rawQueued queues one task, then writes its queue item over with the
// record of a queued `true` as a client writes it, with fields set (or
// added) as given: data written by hand. It returns the item's path.
func rawQueued(t *testing.T, st *store.Store, fields map[string]any) string {
	t.Helper()
	id := ulid.Make().String()
	submit(t, st, 1, func(_ int, task *store.Task) { task.ID = id })
	item := st.Layout().QueueItem(id)
	_, stat, err := st.Get(item)
	if err != nil {
		t.Fatal(err)
	}
	rec := map[string]any{"v": 1, "id": id, "cmd": []string{"true"}, "retries": 0, "priority": "normal",
		"submitted_at": time.Now().UTC(), "state": "queued", "attempt": 1}
	maps.Copy(rec, fields)
	raw, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Set(item, raw, stat.Version); err != nil {
		t.Fatal(err)
	}
	return item
}
