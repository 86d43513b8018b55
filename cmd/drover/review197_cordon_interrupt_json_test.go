package main

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
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
	px := drovertest.StartProxy(t, zkAddr)
	px.FreezeAt([]byte("cordons/" + ids[1])) // the create of the second cordon
	args := append([]string{"--zk", px.Addr(), "--root", root, "--session-timeout", "10s", "-o", "json", "workers", "cordon"}, ids...)
	cmd := exec.Command(binary, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ended := make(chan error, 1)
	go func() { ended <- cmd.Wait() }()
	drovertest.WaitFor(t, 20*time.Second, "the cordon of the second id sent", px.Frozen)
	_ = cmd.Process.Signal(syscall.SIGINT)
	var err error
	select {
	case err = <-ended:
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("drover workers cordon did not end")
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	if r := drover(t, root, "workers", "-o", "json"); !strings.Contains(r.stderr, ids[0]) {
		t.Fatalf("the first id was not cordoned before the interrupt: %+v", r)
	}
	var changes []map[string]any
	jerr := json.Unmarshal(out.Bytes(), &changes)
	if code != 130 || jerr != nil || len(changes) != 1 || changes[0]["worker"] != ids[0] {
		t.Fatalf("workers cordon %v -o json, interrupted during the second: exit %d, stdout %q (%v), stderr %q; "+
			"want exit 130 and a JSON array naming %s, the one cordoned (as cancel -o json writes the tasks it cancelled)",
			ids, code, out.String(), jerr, strings.TrimSpace(errb.String()), ids[0])
	}
}
