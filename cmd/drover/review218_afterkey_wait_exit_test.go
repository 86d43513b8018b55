package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// README, after_key: "drover submit --wait -f etl.jsonl runs the three in
// turn and exits as drover wait does, with the exit code of the first that
// failed (the tasks after it end cancelled)". (It said "exits 1": a step
// that exits 3 makes the submit exit 3.)
func TestReview218WaitGraphExitsWithTheFailedStepsCode(t *testing.T) {
	root := newRoot()
	p := filepath.Join(t.TempDir(), "etl.jsonl")
	if err := os.WriteFile(p, []byte(strings.Join([]string{
		`{"key":"extract","cmd":["echo","extract"]}`,
		`{"key":"transform","cmd":["sh","-c","echo transform; exit 3"],"after_key":["extract"]}`,
		`{"key":"load","cmd":["echo","load"],"after_key":["transform"]}`,
	}, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	daemon(t, root, "scheduler", "--id", "s1")
	daemon(t, root, "worker", "--id", "w1", "--capacity", "4")
	r := drover(t, root, "submit", "--wait", "-f", p)
	ids := strings.Fields(r.stderr)
	if r.code != 3 || r.stdout != "" || len(ids) < 3 {
		t.Fatalf("submit --wait -f etl.jsonl, transform exiting 3: %+v", r)
	}
	if st := drover(t, root, "status", ids[2]); !strings.Contains(st.stdout, "cancelled") {
		t.Fatalf("load, after the failed transform:\n%s", st.stdout)
	}
}
