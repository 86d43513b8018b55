package store_test

import (
	"errors"
	"testing"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// With the deadletter directory full, malformed data is done away with and
// not copied: the directory stays listable whatever keeps writing bad data.
func TestQuarantineStopsCopyingWhenDeadletterIsFull(t *testing.T) {
	defer store.SetMaxDeadletters(2)()
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	lay := st.Layout()
	bad := errors.New("junk")
	for i, name := range []string{"a", "b", "c"} {
		p := lay.Queue() + "/" + name
		if err := st.Create(p, []byte("junk "+name)); err != nil {
			t.Fatal(err)
		}
		if err := st.Quarantine(p, []byte("junk "+name), 0, bad); err != nil {
			t.Fatalf("quarantine %d: %v", i, err)
		}
		if ok, _, err := st.Exists(p); err != nil || ok {
			t.Fatalf("%s still there (%v)", p, err)
		}
	}
	names, err := st.Children(lay.Deadletter())
	if err != nil || len(names) != 2 {
		t.Fatalf("deadletter %v (%v), want the first two records only", names, err)
	}
}
