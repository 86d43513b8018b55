package main

import (
	"strings"
	"testing"
)

// TestReview219CancelKeyOfMalformedTaskGoesOn: README: cancel and retry of
// a task whose record does not decode move it to deadletter/ and fail for
// that task, one line, exit 1, "cancel and retry go on with the other ids".
// Named by --key, such a task (or a key record that does not decode)
// stopped the command: cancel OTHER --key K left OTHER queued.
func TestReview219CancelKeyOfMalformedTaskGoesOn(t *testing.T) {
	root := newRoot()
	junk := strings.TrimSpace(drover(t, root, "submit", "--key", "r219-junk-task", "--in", "1h", "--", "true").stdout)
	other := strings.TrimSpace(drover(t, root, "submit", "--in", "1h", "--", "true").stdout)
	if junk == "" || other == "" {
		t.Fatal("submit failed")
	}
	st := openStore(t, root)
	if _, err := st.Set(st.Layout().QueueItem(junk), []byte("{junk"), -1); err != nil {
		t.Fatal(err)
	}
	r := drover(t, root, "cancel", other, "--key", "r219-junk-task")
	if r.code != 1 || !strings.Contains(r.stdout, "cancelled "+other) || !strings.Contains(r.stderr, junk) || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("cancel OTHER --key K (K's task record malformed): want OTHER cancelled, one line naming K's task, exit 1; got %+v", r)
	}
}
