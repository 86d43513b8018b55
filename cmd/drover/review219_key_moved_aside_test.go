package main

import (
	"strings"
	"testing"
)

// TestReview219KeyOfTaskMovedAside: a task whose record does not decode is
// moved to deadletter/ by status (README), and its idempotency key goes
// with it; status --key then said "no task has the key ... (never given to
// this cluster (--root, --zk), or pruned by retention with its task)":
// neither, and no word of deadletter/, where status ID of the same task
// says "moved aside as malformed: drover deadletter ls".
func TestReview219KeyOfTaskMovedAside(t *testing.T) {
	root := newRoot()
	r := drover(t, root, "submit", "--key", "r219-aside", "--in", "1h", "--", "true")
	if r.code != 0 {
		t.Fatalf("submit: %+v", r)
	}
	id := strings.TrimSpace(r.stdout)
	st := openStore(t, root)
	if _, err := st.Set(st.Layout().QueueItem(id), []byte("{junk"), -1); err != nil {
		t.Fatal(err)
	}
	oneLineError(t, drover(t, root, "status", "--key", "r219-aside"), 1, "moved to deadletter")
	oneLineError(t, drover(t, root, "status", id), 1, "drover deadletter ls")
	oneLineError(t, drover(t, root, "status", "--key", "r219-aside"), 1, "drover deadletter ls")
}
