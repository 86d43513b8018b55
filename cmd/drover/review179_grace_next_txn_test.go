package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// review179: afd3234 gives a submit -f interrupted with a transaction in
// flight writeGrace for that transaction's answer, and sends one
// transaction's worth per Submit call (submitChunk = store.MaxBatch), "so
// that no further transaction goes after the interrupt". But a chunk is one
// transaction only when its tasks fit maxTxnBytes (512 KB): 100 tasks of
// some 6 KB each (a payload, variables) already take two, and tasks near
// MaxSpecSize one or two each. The store's Submit loop looks at the grace
// context (wctx), which is still live after the interrupt, so it goes on
// sending the chunk's next transactions for up to 800 ms after Ctrl-C.
// Here three ~200 KB tasks make two transactions; the first's answer comes
// 300 ms after the interrupt, and the second transaction (task three) is
// then sent and submitted, the interrupted submit exiting as if never
// interrupted.
func TestReview179InterruptedSubmitSendsTheChunksNextTransactionInItsGrace(t *testing.T) {
	root := newRoot()
	if r := drover(t, root, "submit", "--on", "gpu=none", "--", "true"); r.code != 0 { // the tree made
		t.Fatalf("submit: %+v", r)
	}
	bucketsAhead(t, openStore(t, root)) // else a bucket missing may fail the first transaction, and the test pass for nothing
	const marker = "r179-grace-next-txn-marker"
	big := strings.Repeat("x", 200<<10)
	var file bytes.Buffer
	for i, word := range []string{marker, "two", "three"} {
		line, _ := json.Marshal(map[string]any{
			"cmd": []string{"echo", word}, "on": map[string]string{"gpu": "none"},
			"env": map[string]string{"BIG": big}, "name": word + "-" + strings.Repeat("n", i),
		})
		file.Write(line)
		file.WriteByte('\n')
	}
	path := filepath.Join(t.TempDir(), "batch.jsonl")
	if err := os.WriteFile(path, file.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	// The first transaction's answer comes within the grace.
	r := interruptSlow(t, root, marker, 300*time.Millisecond, 20*time.Second, "submit", "-f", path)
	if !r.exited {
		t.Fatal("the interrupted submit did not exit")
	}
	code := r.code
	ids := strings.Fields(r.stdout)
	// What did land: the third task, sent after the interrupt, is there too.
	landed := 0
	for _, id := range ids {
		if r := drover(t, root, "status", id); r.code == 0 {
			landed++
		}
	}
	if len(ids) > 2 || landed > 2 {
		t.Errorf("submit -f interrupted with its first transaction (tasks 1-2) in flight: exit %d, %d id(s) printed, %d of them found; stderr %q; want the third task's transaction not sent after the interrupt (only the one in flight gets the grace) and exit 130",
			code, len(ids), landed, r.stderr)
	}
}
