package main

import (
	"strings"
	"testing"
)

// TestScheduleRmOfAJunkRecord: a schedule record that does not decode, with
// no leader running to move it aside, was a dead end: get, pause, trigger
// and rm failed on it ("malformed record") while add said it already
// exists, "remove it first". rm moves it to deadletter, as a leader would,
// and the name is free again. (review181 note)
func TestScheduleRmOfAJunkRecord(t *testing.T) {
	root := newRoot()
	st := openStore(t, root)
	if r := drover(t, root, "schedule", "add", "other", "--cron", "@daily", "--", "true"); r.code != 0 {
		t.Fatalf("schedule add: %+v", r) // the tree made
	}
	if err := st.Create(st.Layout().Schedule("junk"), []byte("\x00 not a drover record")); err != nil {
		t.Fatal(err)
	}
	if r := drover(t, root, "schedule", "rm", "junk"); r.code != 0 || !strings.Contains(r.stdout+r.stderr, "deadletter") {
		t.Fatalf("schedule rm of a record that does not decode: %+v; want exit 0, saying it was moved to deadletter", r)
	}
	if ok, _, err := st.Exists(st.Layout().Schedule("junk")); err != nil || ok {
		t.Fatalf("the junk record is still there (%v)", err)
	}
	if r := drover(t, root, "deadletter", "ls"); r.code != 0 || !strings.Contains(r.stdout, "junk") {
		t.Errorf("deadletter ls after rm: %+v", r)
	}
	if r := drover(t, root, "schedule", "add", "junk", "--cron", "@daily", "--", "true"); r.code != 0 {
		t.Errorf("schedule add of the name freed: %+v", r)
	}
}
