package scheduler

import (
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
)

// Found by review112.

// TestDeadletterCapCountsNotJunkThatGoesForItsAge: pruneDeadletters (since
// 80777df's fix, cc85d93) counts the junk names (not d-<seq>) toward
// --max-deadletters when it works out how many records to drop for the
// cap, and then deletes the junk older than the cutoff as well. Junk that
// goes for its age is counted as staying: with the cap 3, three young
// records and one old junk name, it drops the oldest record for the cap
// and the junk for its age, leaving two, under the cap, and a record that
// was within both the retention and the cap is gone for nothing (a
// deadletter record is the only copy of the malformed data it holds).
func TestDeadletterCapCountsNotJunkThatGoesForItsAge(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	dir := st.Layout().Deadletter()
	if err := st.EnsurePath(dir); err != nil {
		t.Fatal(err)
	}
	if err := st.Create(dir+"/a", []byte("junk")); err != nil { // old junk
		t.Fatal(err)
	}
	_, junk, err := st.Exists(dir + "/a")
	if err != nil {
		t.Fatal(err)
	}
	cutoff := junk.Ctime.Add(time.Millisecond)
	drovertest.WaitFor(t, 10*time.Second, "the clock past the cutoff", func() bool {
		return time.Since(cutoff) > 10*time.Millisecond
	})
	// Three young records, created after the cutoff (quarantineJunk lists
	// the whole directory, the junk name with them).
	records := slices.DeleteFunc(quarantineJunk(t, st, 3), func(n string) bool { return n == "a" })
	l, _, _ := termOf(t, st, func(c *Config) { c.MaxDeadletters = 3 })
	if err := l.pruneDeadletters(cutoff); err != nil {
		t.Fatal(err)
	}
	left, err := st.Children(dir)
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(left)
	if !slices.Equal(left, records) {
		t.Fatalf("--max-deadletters 3, 3 young records %v and an old junk name: left %v; want the 3 records (the junk goes for its age, and they are within the cap)",
			records, left)
	}
}
