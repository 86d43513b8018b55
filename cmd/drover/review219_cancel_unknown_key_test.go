package main

import (
	"strings"
	"testing"
)

// TestReview219CancelGoesOnPastAnUnknownKey: cancel and retry go on past an
// id found nowhere ("prints `drover: cancel: task ID not found` on stderr
// and makes the exit 1"), and take --key "as wait takes it"; but a key no
// task has (pruned with its task) stopped the command before it acted on
// any task: cancel ID --key GONE left ID queued, and -o json printed
// nothing.
func TestReview219CancelGoesOnPastAnUnknownKey(t *testing.T) {
	root := newRoot()
	id := strings.TrimSpace(drover(t, root, "submit", "--in", "1h", "--", "true").stdout)
	keyed := strings.TrimSpace(drover(t, root, "submit", "--key", "r219-kept", "--in", "1h", "--", "true").stdout)
	r := drover(t, root, "cancel", id, "--key", "r219-gone", "--key", "r219-kept")
	if r.code != 1 || !strings.Contains(r.stdout, "cancelled "+id) || !strings.Contains(r.stdout, "cancelled "+keyed) ||
		!strings.Contains(r.stderr, `cancel: no task has the key "r219-gone"`) {
		t.Errorf("cancel ID --key GONE --key KEPT: want both tasks cancelled, the gone key named, exit 1; got %+v", r)
	}
	r = drover(t, root, "-o", "json", "retry", "--key", "r219-gone", id)
	if r.code != 1 || !strings.Contains(r.stdout, id) || !strings.Contains(r.stderr, `retry: no task has the key "r219-gone"`) {
		t.Errorf("retry -o json --key GONE ID: want ID retried and in the JSON, the gone key named, exit 1; got %+v", r)
	}
}
