package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
)

// TestReview193InterruptedKeyReadsExitZeroSayingNothing: submit -f of
// several tasks reads, once they are sent, the tasks its lines' keys
// named (noteOtherSpecs), with neither a context nor a look at the
// interrupt: Ctrl-C while it reads lets runClient close the store after
// interruptWait, each read left then fails, and a read that fails is taken
// for "the same spec". The command exits 0 and says nothing of the line
// whose key names a task of another spec (README: "a submit says on stderr
// when the first was submitted with another spec"; and 130 "when a client
// command is interrupted").
func TestReview193InterruptedKeyReadsExitZeroSayingNothing(t *testing.T) {
	root := newRoot()
	dir := t.TempDir()
	file := filepath.Join(dir, "tasks.jsonl")
	lines := `{"cmd":["echo","a"],"key":"ka","on":{"gpu":"none"}}` + "\n" + `{"cmd":["echo","b"],"key":"kb","on":{"gpu":"none"}}` + "\n"
	if err := os.WriteFile(file, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	first := drover(t, root, "submit", "-f", file)
	ids := strings.Fields(first.stdout)
	if first.code != 0 || len(ids) != 2 {
		t.Fatalf("submit -f: %+v", first)
	}
	if err := os.WriteFile(file, []byte(strings.Replace(lines, `"echo","b"`, `"echo","B"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	// The read of kb's task (its result's path: the submit reads the key's
	// index entry, not that) gets no answer: the interrupt comes as it waits.
	marker := openStore(t, root).Layout().Result(ids[1])
	r := interruptHolding(t, root, []byte(marker), func(*drovertest.Proxy) {}, 20*time.Second, "submit", "-f", file)
	if !r.exited {
		t.Fatal("the interrupted submit did not exit")
	}
	if got := strings.Fields(r.stdout); len(got) != 2 || got[0] != ids[0] || got[1] != ids[1] {
		t.Fatalf("the submit itself did not finish before the interrupt (held elsewhere?): %+v", r)
	}
	if r.code != 130 && !strings.Contains(r.stderr, `"kb"`) {
		t.Errorf("submit -f interrupted while it read the task key kb names (%s, of another spec): exit %d, stderr %q; want exit 130 (interrupted), or the line naming key kb",
			ids[1], r.code, r.stderr)
	}
}
