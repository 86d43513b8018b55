package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// drover workers cordon ID... -o json, interrupted part-way, writes
// nothing on stdout: changeCordons returns its 130 before the array of
// the ids it did change is written. cancel and retry, which it says it
// follows (newManageCmd's report), write that array before their 130, so
// a script reading -o json learns which were done. Here the cordon of the
// second id is held (its link silent) and SIGINT sent: the first id is
// cordoned, and stdout is empty. Expected: exit 130 and a JSON array
// naming the first id, as cancel's -o json does.
func TestReview197CordonManyInterruptedWritesNoJSON(t *testing.T) {
	root := newRoot()
	makeCluster(t, root)
	ids := []string{"rv197first", "rv197second", "rv197third"}
	// The create of the second cordon held, its link silent.
	run := interruptAt(t, root, "cordons/"+ids[1], 60*time.Second, append([]string{"-o", "json", "workers", "cordon"}, ids...)...)
	if !run.exited {
		t.Fatal("drover workers cordon did not end")
	}
	if r := drover(t, root, "workers", "-o", "json"); !strings.Contains(r.stderr, ids[0]) {
		t.Fatalf("the first id was not cordoned before the interrupt: %+v", r)
	}
	var changes []map[string]any
	jerr := json.Unmarshal([]byte(run.stdout), &changes)
	if run.code != 130 || jerr != nil || len(changes) != 1 || changes[0]["worker"] != ids[0] {
		t.Fatalf("workers cordon %v -o json, interrupted during the second: exit %d, stdout %q (%v), stderr %q; "+
			"want exit 130 and a JSON array naming %s, the one cordoned (as cancel -o json writes the tasks it cancelled)",
			ids, run.code, run.stdout, jerr, run.stderr, ids[0])
	}
}
