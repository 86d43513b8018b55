package scheduler

import (
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
)

// TestDeadletterJunkNameDoesNotHoldBackPruning: a znode in deadletter/
// whose name is not d-<seq> (made by hand) is a malformed entry of the
// deadletter itself. pruneDeadletters takes the sorted names for age
// order and stops at the first young record; a young junk name that sorts
// before "d-" ("a", "0"...) stops it before every real record, so records
// long past the retention are kept until the junk itself ages out (7 days
// by default), and a source of bad data grows the directory toward
// --max-deadletters meanwhile.
func TestDeadletterJunkNameDoesNotHoldBackPruning(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	dir := st.Layout().Deadletter()
	old := quarantineJunk(t, st, 3)
	_, newestOld, err := st.Exists(dir + "/" + old[len(old)-1])
	if err != nil {
		t.Fatal(err)
	}
	cutoff := newestOld.Ctime.Add(time.Millisecond)
	drovertest.WaitFor(t, 10*time.Second, "the clock past the cutoff", func() bool {
		return time.Since(cutoff) > 10*time.Millisecond
	})
	if err := st.Create(dir+"/a", []byte("junk")); err != nil { // young, sorts first
		t.Fatal(err)
	}
	l, _, _ := termOf(t, st)
	if err := l.pruneDeadletters(cutoff); err != nil {
		t.Fatal(err)
	}
	left, err := st.Children(dir)
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(left)
	if !slices.Equal(left, []string{"a"}) {
		t.Fatalf("deadletter left %v, want [a]: the records older than the cutoff %v are kept behind a young junk name", left, old)
	}
}
