package main

import (
	jbin "encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// 5527a48 moved commitCreatingBuckets' look at the send context from the
// top of each retry to right after the failed multi, before ensureBuckets,
// and dropped the look before the retry (submitBatch's too). An interrupt
// that comes while ensureBuckets' creates are in flight is now seen by
// nothing: the buckets made, the multi is sent again after the interrupt and
// queues the task (README, d4a5f4a: an interrupted submit sends nothing
// more). Shown by zxids: the queue item is made after a znode the test
// creates after the SIGINT, while the answer to ensureBuckets' create of
// results/<b1> is held.
func TestReview189InterruptedSubmitRetriesAfterMakingBuckets(t *testing.T) {
	root := newRoot()
	st := openStore(t, root)
	lay := st.Layout()
	// The submit's id is the CLI's: its first-level bucket (2^18 ms of id
	// time) is known ahead, away from a bucket's end.
	b1 := store.IDAt(time.Now())[:6]
	if store.BucketEnd(b1, "").Sub(time.Now()) < 30*time.Second {
		drovertest.WaitFor(t, 40*time.Second, "the next first-level bucket", func() bool { return store.IDAt(time.Now())[:6] != b1 })
		b1 = store.IDAt(time.Now())[:6]
	}
	b, _ := json.Marshal(map[string]any{"cmd": []string{"echo", "r189"}, "on": map[string]string{"gpu": "none"}})
	file := filepath.Join(t.TempDir(), "batch.jsonl")
	if err := os.WriteFile(file, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	// The create of results/<b1> alone: its path with jute's length prefix
	// (checkBuckets' read of results/<b1>/<b2> has another length).
	p := lay.Results() + "/" + b1
	marker := jbin.BigEndian.AppendUint32(nil, uint32(len(p)))
	marker = append(marker, p...)
	r, fenceZxid := interruptFenced(t, root, st, root+"/r189-fence", marker, "submit", "-f", file)
	if !r.exited {
		t.Fatal("the interrupted submit did not exit")
	}
	queued := drovertest.QueuedIDs(t, st)
	var after []string
	for _, id := range queued {
		if _, qst, err := st.Exists(lay.QueueItem(id)); err == nil && qst.Czxid > fenceZxid {
			after = append(after, id)
		}
	}
	t.Logf("exit %d, stderr %q; queued %v, made after the interrupt %v", r.code, r.stderr, queued, after)
	if len(after) > 0 {
		t.Fatalf("submit -f interrupted while ensureBuckets ran (its multi had failed: buckets missing) sent the multi again "+
			"after the interrupt and queued %v: commitCreatingBuckets looks at the send context only before making the buckets, "+
			"not before the retry (5527a48 dropped that look)", after)
	}
}
