package main

import (
	"strings"
	"testing"
)

// TestReview185SubmitKeyOfAJunkTaskFails: README (CLI reference) says that
// "`submit --key` of the task its key names, which read it too" moves that
// task's record to deadletter when it does not decode "and fail[s] for that
// task: one line naming it, exit 1". noteOtherSpec reads the task with
// c.Status, which moves the junk queue item aside, and then drops the
// error: the submit exits 0, prints the id of a task that is gone, and
// says nothing.
func TestReview185SubmitKeyOfAJunkTaskFails(t *testing.T) {
	root := newRoot()
	first := drover(t, root, "submit", "--key", "r185-junk", "--on", "gpu=none", "--", "echo", "one")
	if first.code != 0 {
		t.Fatalf("submit: %+v", first)
	}
	id := strings.TrimSpace(first.stdout)
	st := openStore(t, root)
	item := st.Layout().QueueItem(id)
	if _, err := st.Set(item, []byte("{junk"), -1); err != nil {
		t.Fatal(err)
	}
	again := drover(t, root, "submit", "--key", "r185-junk", "--on", "gpu=none", "--", "echo", "one")
	ok, _, err := st.Exists(item)
	if err != nil {
		t.Fatal(err)
	}
	if again.code != 1 || !strings.Contains(again.stderr, id) {
		t.Fatalf("submit --key of a key whose task's queue item does not decode: exit %d (want 1), stderr %q (want one line naming task %s), stdout %q; record still in place: %v",
			again.code, again.stderr, id, again.stdout, ok)
	}
}
