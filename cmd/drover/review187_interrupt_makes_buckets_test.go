package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/drover-sched/drover/drovertest"
)

// d4a5f4a: "an interrupted submit sends nothing more after its multi in
// flight fails (no buckets made ...)". commitCreatingBuckets looks at the
// send context only at the top of its next try: when the multi in flight
// at Ctrl-C fails for a missing bucket directory, ensureBuckets makes the
// task's queue and result bucket directories right away, after the
// interrupt, and only then does the next try see the interrupt and stop.
// (So, in submitBatch, do EnsurePath of a key's shard or index bucket, and
// takenKeys' reads, before its loop looks.) Shown by zxids: directories
// under queue/ and results/ made after a znode the test creates after the
// SIGINT, with the multi's answer still held.
func TestReview187InterruptedSubmitMakesBucketsAfterItsMultiFails(t *testing.T) {
	root := newRoot()
	st := openStore(t, root)
	marker := "r187-buckets"
	b, _ := json.Marshal(map[string]any{"cmd": []string{"echo", marker}, "on": map[string]string{"gpu": "none"}})
	path := filepath.Join(t.TempDir(), "batch.jsonl")
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	r, fenceZxid := interruptFenced(t, root, st, root+"/r187-fence", []byte(marker), "submit", "-f", path)
	if !r.exited {
		t.Fatal("the interrupted submit did not exit")
	}
	var after []string
	var walk func(p string)
	walk = func(p string) {
		kids, err := st.Children(p)
		if err != nil {
			return
		}
		for _, k := range kids {
			c := p + "/" + k
			if _, cst, err := st.Exists(c); err == nil && cst.Czxid > fenceZxid {
				after = append(after, c)
			}
			walk(c)
		}
	}
	lay := st.Layout()
	for _, dir := range []string{lay.Queue(), lay.Results()} {
		walk(dir)
	}
	queued := drovertest.QueuedIDs(t, st)
	t.Logf("exit %d, stderr %q; queued %v; made after the interrupt: %v", r.code, r.stderr, queued, after)
	if len(after) > 0 {
		t.Fatalf("submit -f interrupted with its multi in flight (it failed: bucket directories missing) made %v after the "+
			"interrupt: commitCreatingBuckets makes the buckets before its next try looks at the send context (d4a5f4a: no buckets made; "+
			"README: a submit sends nothing more)", after)
	}
}
