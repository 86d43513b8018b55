package store_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

func TestDecodeCordon(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		note       string
		err        error
	}{
		{"empty: made by hand", "", "", nil},
		{"a record", `{"v":1,"note":"disk swap","by":"ops@h","since":"2026-12-05T10:00:00Z"}`, "disk swap", nil},
		{"junk", `not json`, "", store.ErrMalformed},
		{"a control character in the note", `{"v":1,"note":"a\u001b[2Jb"}`, "", store.ErrMalformed},
		{"a newer format", `{"v":99}`, "", store.ErrUnsupportedVersion},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := store.DecodeCordon([]byte(tc.data))
			if !errors.Is(err, tc.err) || tc.err == nil && (c == nil || c.Note != tc.note) {
				t.Fatalf("DecodeCordon(%q) = %+v, %v; want note %q, error %v", tc.data, c, err, tc.note, tc.err)
			}
		})
	}
}

func TestValidateCordonNote(t *testing.T) {
	for note, ok := range map[string]bool{
		"":                           true,
		"disk swap, back at 14:00":   true,
		"naïve ☃":                    true,
		"two\nlines":                 false,
		"\x1b[31mred":                false,
		"bad \xff utf-8":             false,
		strings.Repeat("x", 512):     true,
		strings.Repeat("x", 512+1):   false,
		strings.Repeat("é", 512/2+1): false,
	} {
		if err := store.ValidateCordonNote(note); (err == nil) != ok || err != nil && !errors.Is(err, store.ErrInvalidName) {
			t.Errorf("ValidateCordonNote(%.20q) = %v, want ok %v", note, err, ok)
		}
	}
}

// A cordon is set once (a second one changes nothing and says what is in
// place), read back by Cordons, and lifted; a cluster whose cordons
// directory is missing (made by an older release) gets one.
func TestCordonWorkerRoundTrip(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	since := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	if err := st.Delete(st.Layout().Cordons(), -1); err != nil {
		t.Fatal(err)
	}
	if cs, _, err := st.Cordons(); err != nil || len(cs) != 0 {
		t.Fatalf("Cordons with no directory = %v, %v; want none", cs, err)
	}
	existing, err := st.CordonWorker("w1", store.Cordon{Note: "disk swap", By: "ops@h", Since: since})
	if err != nil || existing != nil {
		t.Fatalf("CordonWorker = %+v, %v; want a new cordon", existing, err)
	}
	existing, err = st.CordonWorker("w1", store.Cordon{Note: "other"})
	if err != nil || existing == nil || existing.Note != "disk swap" {
		t.Fatalf("second CordonWorker = %+v, %v; want the first cordon, unchanged", existing, err)
	}
	cs, _, err := st.Cordons()
	if err != nil || len(cs) != 1 || cs["w1"] == nil || cs["w1"].By != "ops@h" || !cs["w1"].Since.Equal(since) {
		t.Fatalf("Cordons = %v, %v; want w1's", cs, err)
	}
	if _, err := st.CordonWorker("a/b", store.Cordon{}); !errors.Is(err, store.ErrInvalidName) {
		t.Fatalf("CordonWorker(a/b) = %v, want ErrInvalidName", err)
	}
	if _, err := st.CordonWorker("w2", store.Cordon{Note: "a\nb"}); !errors.Is(err, store.ErrInvalidName) {
		t.Fatalf("CordonWorker with a two-line note = %v, want ErrInvalidName", err)
	}
	for _, want := range []bool{true, false} {
		if was, err := st.UncordonWorker("w1"); err != nil || was != want {
			t.Fatalf("UncordonWorker = %v, %v; want %v", was, err, want)
		}
	}
	if cs, _, err := st.Cordons(); err != nil || len(cs) != 0 {
		t.Fatalf("Cordons after uncordon = %v, %v; want none", cs, err)
	}
}

// A cordon's record that does not decode is moved to deadletter and an
// empty one left in its place (the name is the cordon: the worker stays
// cordoned); one named for no worker id cordons nothing and goes whole.
func TestCheckCordonsMovesJunkAsideAndKeepsTheCordon(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	lay := st.Layout()
	if err := st.Create(lay.Cordon("w1"), []byte("junk")); err != nil {
		t.Fatal(err)
	}
	if err := st.Create(lay.Cordon("a b"), nil); err != nil {
		t.Fatal(err)
	}
	if err := st.Create(lay.Cordon("w2"), []byte(`{"v":99}`)); err != nil { // a newer Drover's
		t.Fatal(err)
	}
	if cs, _, err := st.Cordons(); err != nil || cs["w1"] == nil || cs["w2"] == nil {
		t.Fatalf("Cordons = %v, %v; want w1 and w2 cordoned, their records unread", cs, err)
	}
	if err := st.CheckCordons([]string{"w1", "a b", "w2", "gone"}); err != nil {
		t.Fatal(err)
	}
	data, _, err := st.Get(lay.Cordon("w1"))
	if err != nil || len(data) != 0 {
		t.Fatalf("w1's cordon after the check: %q, %v; want it kept, empty", data, err)
	}
	if ok, _, err := st.Exists(lay.Cordon("a b")); err != nil || ok {
		t.Fatalf("the cordon of no worker id is still there (%v)", err)
	}
	if data, _, err := st.Get(lay.Cordon("w2")); err != nil || string(data) != `{"v":99}` {
		t.Fatalf("a newer Drover's cordon was changed: %q, %v", data, err)
	}
	from := deadlettersByOrigin(t, st)
	if _, ok := from[lay.Cordon("a b")]; from[lay.Cordon("w1")] != "junk" || !ok || len(from) != 2 {
		t.Fatalf("deadletter = %v; want w1's junk and the cordon of no worker id", from)
	}
}

// The cordons are bounded (MaxCordons), so their directory stays listable:
// one more is refused, saying so; one in place already still answers.
func TestCordonsAreBounded(t *testing.T) {
	defer store.SetMaxCordons(2)()
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	for _, id := range []string{"w1", "w2"} {
		if _, err := st.CordonWorker(id, store.Cordon{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.CordonWorker("w3", store.Cordon{}); !errors.Is(err, store.ErrTooManyCordons) || !strings.Contains(err.Error(), "2 in place, at most 2") {
		t.Fatalf("a third cordon: %v, want ErrTooManyCordons", err)
	}
	if existing, err := st.CordonWorker("w1", store.Cordon{}); err != nil || existing == nil {
		t.Fatalf("w1 again at the bound: %+v, %v; want w1's cordon in place", existing, err)
	}
}
