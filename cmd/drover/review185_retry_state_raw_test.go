package main

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode"

	"github.com/drover-sched/drover/store"
)

// TestReview185RetryErrorLineQuotesARecordsState: cancel and retry print
// each id's failure themselves (newManageCmd: "drover: retry: %v"), past
// run's printable/oneLine, which every other error line goes through. A
// task record's state is not checked when it is read (store.DecodeTask
// checks the id, command, env names, generation and attempt, not the
// state; only a result must be finished), and retry's refusal names it
// as read: "task cannot be retried: ID is <state>". An assignment record
// whose state holds a newline and an escape sequence (written by another
// program, or damaged) makes `drover retry ID` print two lines, the second
// forged, and set the terminal's title. (README: one line naming the cause;
// review174 quoted the rest.)
func TestReview185RetryErrorLineQuotesARecordsState(t *testing.T) {
	root := newRoot()
	r := drover(t, root, "submit", "--on", "gpu=none", "--", "true")
	if r.code != 0 {
		t.Fatalf("submit: %+v", r)
	}
	id := strings.TrimSpace(r.stdout)
	st := openStore(t, root)
	lay := st.Layout()
	data, _, err := st.Get(lay.QueueItem(id))
	if err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatal(err)
	}
	rec["state"] = "running\x1b]2;pwned\a\ndrover: retry: forged line"
	rec["worker"] = "w1"
	forged, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	// Placed on worker w1, by hand: the queue item goes, its assignment comes.
	if err := st.Create(lay.WorkerTasks("w1"), nil); err != nil {
		t.Fatal(err)
	}
	if err := st.Create(lay.Assignment("w1", id, 1), forged); err != nil {
		t.Fatal(err)
	}
	if err := st.Txn().Delete(lay.QueueItem(id), -1).Commit(); err != nil {
		t.Fatal(err)
	}
	// (Since the fix a state no release writes makes the record malformed:
	// retry then moves it aside, and says so in one line.)
	if _, _, err := st.LookupTask(id); err != nil && !errors.Is(err, store.ErrMalformed) {
		t.Fatalf("the placed record: %v", err)
	}
	got := drover(t, root, "retry", id)
	line := strings.TrimRight(got.stderr, "\n")
	bad := strings.Count(line, "\n") != 0
	for _, c := range line {
		if c < 0x20 || c == 0x7f || unicode.Is(unicode.Cf, c) {
			bad = true
		}
	}
	if got.code != 1 || bad {
		t.Fatalf("retry of a placed task whose record's state holds a newline and an escape: exit %d, stderr %q; want exit 1, one line, the state quoted", got.code, got.stderr)
	}
}
