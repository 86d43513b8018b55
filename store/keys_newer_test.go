package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// A key record of a newer format (a newer Drover's, as in a rolling
// upgrade) is no malformed data: it stays, as MoveKeyAside leaves it and
// as other records of an unsupported version stay. A submit with its key
// must not move it aside and make a second task with the key: the newer
// release's task, still kept with its key index entry, owns it. This build
// cannot read which: the submit fails with ErrUnsupportedVersion. (Found by
// review: takenKeys moved aside any record Decode refused, and the submit
// wrote a task of its own.)
func TestSubmitLeavesANewerReleasesKey(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	lay := st.Layout()
	first := submitKeyed(t, st, "k")
	key := lay.Key(store.KeyHash("k"))
	newer := []byte(fmt.Sprintf(`{"v":%d,"task":%q}`, store.FormatVersion+1, first.ID))
	if _, err := st.Set(key, newer, -1); err != nil {
		t.Fatal(err)
	}
	// The newer release's own way with it leaves it: so must a submit.
	if err := st.MoveKeyAside(key); err != nil {
		t.Fatal(err)
	}
	task := &store.Task{ID: ulid.Make().String(), Cmd: []string{"true"}, Key: "k", SubmittedAt: time.Now().UTC()}
	res, err := st.Submit(context.Background(), []*store.Task{task})
	if err != nil && !errors.Is(err, store.ErrUnsupportedVersion) {
		t.Errorf("submit with a newer release's key: %v, want an error wrapping ErrUnsupportedVersion", err)
	}
	if err == nil && (!res[0].Existing || res[0].ID != first.ID) {
		t.Errorf("submit with a newer release's key naming kept task %s: %+v, want that task (or an error), not a second task with the key", first.ID, res[0])
	}
	if data, _, gerr := st.Get(key); gerr != nil || string(data) != string(newer) {
		t.Errorf("the newer release's key record is now %q (%v), want it left as %q", data, gerr, newer)
	}
	if dl, _ := st.Children(lay.Deadletter()); len(dl) != 0 {
		t.Errorf("deadletter holds %d record(s): a newer release's key was moved aside", len(dl))
	}
}

// A key record whose format version is below any release's (0, or
// negative: FormatVersion 1 is the first) is malformed data, not a newer
// release's: no Drover wrote it. checkVersion classes every v other than
// FormatVersion as ErrUnsupportedVersion, so takenKeys failed every
// submit with its key, and MoveKeyAside (the leader's retention) left it
// too: the key was refused for good, where the project moves malformed
// data aside. (Found by review.)
func TestSubmitMovesAsideAKeyRecordOfNoReleasesVersion(t *testing.T) {
	for _, v := range []int{0, -1} {
		t.Run(fmt.Sprint(v), func(t *testing.T) {
			st := drovertest.OpenStore(t, drovertest.NewRoot())
			lay := st.Layout()
			first := submitKeyed(t, st, "k")
			key := lay.Key(store.KeyHash("k"))
			bad := []byte(fmt.Sprintf(`{"v":%d,"task":%q}`, v, first.ID))
			if _, err := st.Set(key, bad, -1); err != nil {
				t.Fatal(err)
			}
			task := &store.Task{ID: ulid.Make().String(), Cmd: []string{"true"}, Key: "k", SubmittedAt: time.Now().UTC()}
			if _, err := st.Submit(context.Background(), []*store.Task{task}); err != nil {
				t.Errorf("submit with a key whose record is of v=%d: %v, want it moved aside as malformed and the submit to succeed", v, err)
			}
			if data, _, gerr := st.Get(key); gerr == nil && string(data) == string(bad) {
				t.Errorf("the key record of v=%d is still %q: it refuses every submit with its key for good", v, data)
			}
		})
	}
}
