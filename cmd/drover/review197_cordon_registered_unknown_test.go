package main

import (
	"encoding/json"
	"testing"
)

// drover workers cordon -o json says "registered": true of a worker id no
// worker has registered when some registration could not be read
// (registeredIDs puts "" in its set, and reg is registered[id] ||
// registered[""]). Not known is written as yes: a script that checks the
// field before it counts on the cordon being in force on a live worker is
// told one is there. The table says nothing either way then, which is
// right; the JSON field, a *bool with omitempty, can say nothing too.
// Expected: registered left out (or false), never true, for an id no
// worker has.
func TestReview197CordonSaysRegisteredWhenNotKnown(t *testing.T) {
	root := newRoot()
	st := openStore(t, root)
	// A registration that does not decode (one a leader would move aside).
	if err := st.Create(st.Layout().Worker("rv197garbled"), []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	if r := drover(t, root, "workers"); r.code != 0 || r.stderr == "" {
		t.Fatalf("workers with an unreadable registration: %+v; want it said skipped", r)
	}
	r := drover(t, root, "workers", "cordon", "rv197nobody", "-o", "json")
	var changes []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &changes); err != nil || r.code != 0 || len(changes) != 1 {
		t.Fatalf("cordon -o json: %+v (%v)", r, err)
	}
	if reg, ok := changes[0]["registered"]; ok && reg == true {
		t.Fatalf("cordon of rv197nobody, which no worker has, with a registration unreadable: %s; "+
			"want \"registered\" left out (not known), not true", r.stdout)
	}
}
