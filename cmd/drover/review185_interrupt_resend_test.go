package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drover-sched/drover/drovertest"
)

// TestReview185InterruptedSubmitSendsTheBatchAgainAfterItsAnswer: README
// (Exit codes): interrupted, "a `submit` sends nothing more, and its
// transaction in flight gets 0.8 s for its answer". store.Submit looks at
// the send context (SendUntil) only between batches; inside one batch,
// submitBatch sends further multis whatever the interrupt: when the multi
// in flight fails (its bucket directories missing: CommitCreatingBuckets
// creates them and commits again; or a key used before: takenKeys, then
// the batch again without it), its answer, come within the grace, is
// followed by new creates and a new multi, sent after the interrupt, which
// write the tasks. The multi in flight at Ctrl-C wrote nothing, yet the
// task lands, by a transaction sent after the interrupt, and the command
// exits 0 as if never interrupted. Shown by zxids: a znode the test creates
// after the SIGINT (answers still held) is older than the task's queue item.
func TestReview185InterruptedSubmitSendsTheBatchAgainAfterItsAnswer(t *testing.T) {
	for _, tc := range []struct {
		name string
		used bool // a key used before in the batch
	}{{"new bucket", false}, {"key used before", true}} {
		t.Run(tc.name, func(t *testing.T) {
			root := newRoot()
			st := openStore(t, root)
			marker := "r185-resend-" + strings.ReplaceAll(tc.name, " ", "-")
			var lines []map[string]any
			if tc.used {
				if r := drover(t, root, "submit", "--key", "r185-used", "--on", "gpu=none", "--", "echo", "one"); r.code != 0 {
					t.Fatalf("submit: %+v", r)
				}
				lines = append(lines, map[string]any{"cmd": []string{"echo", "one"}, "on": map[string]string{"gpu": "none"}, "key": "r185-used"})
			}
			lines = append(lines, map[string]any{"cmd": []string{"echo", marker}, "on": map[string]string{"gpu": "none"}})
			var file strings.Builder
			for _, l := range lines {
				b, _ := json.Marshal(l)
				file.Write(b)
				file.WriteByte('\n')
			}
			path := filepath.Join(t.TempDir(), "batch.jsonl")
			if err := os.WriteFile(path, []byte(file.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			r, fenceZxid := interruptFenced(t, root, st, root+"/r185-fence", []byte(marker), "submit", "-f", path)
			if !r.exited {
				t.Fatal("the interrupted submit did not exit")
			}
			for _, id := range drovertest.QueuedIDs(t, st) {
				_, qst, err := st.Exists(st.Layout().QueueItem(id))
				if err != nil {
					t.Fatal(err)
				}
				task, _, err := st.LookupTask(id)
				if err != nil || !strings.Contains(strings.Join(task.Cmd, " "), marker) {
					continue
				}
				if qst.Czxid > fenceZxid {
					t.Errorf("submit -f interrupted with its multi in flight (answer held, released 300 ms later): task %s was written by a transaction sent after the interrupt (czxid %d > %d of a znode made after the SIGINT); exit %d, stdout %q, stderr %q; want nothing sent after the interrupt (the multi in flight failed, writing nothing)",
						id, qst.Czxid, fenceZxid, r.code, r.stdout, r.stderr)
				}
			}
		})
	}
}
