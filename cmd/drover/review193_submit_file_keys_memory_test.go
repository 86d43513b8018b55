package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestReview193ResubmitHoldsEveryKeyedLine: README, submit -f: "The file is
// read twice, once to check it and once to send it, so its tasks are never
// all in memory". A file submitted again, each line's key naming a task
// submitted before, keeps every line's spec (keyed, for noteOtherSpecs) to
// the end of the send, and reads their tasks 32 at a time after: the
// second submit of a 30 MB file held some 100 MB more than the first.
func TestReview193ResubmitHoldsEveryKeyedLine(t *testing.T) {
	root := newRoot()
	file := filepath.Join(t.TempDir(), "big.jsonl")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	pad := strings.Repeat("x", 20000)
	const n = 1500
	for i := range n {
		fmt.Fprintf(f, `{"cmd":["echo","%s%d"],"key":"big%d","on":{"gpu":"none"}}`+"\n", pad, i, i)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(file)
	// The peak is taken by testdata/maxrss: a child this test starts
	// itself would report the test binary's own peak (see there).
	helper := filepath.Join(t.TempDir(), "maxrss")
	if out, err := exec.Command("go", "build", "-o", helper, "./testdata/maxrss").CombinedOutput(); err != nil {
		t.Fatalf("build testdata/maxrss: %v\n%s", err, out)
	}
	maxRSS := func(what string) (int64, string) {
		rss := filepath.Join(t.TempDir(), "rss")
		cmd := exec.Command(helper, rss, binary, "--zk", zkAddr, "--root", root, "--session-timeout", "10s", "submit", "-f", file)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s submit -f: %v", what, err)
		}
		b, err := os.ReadFile(rss)
		if err != nil {
			t.Fatal(err)
		}
		n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if err != nil {
			t.Fatalf("maxrss wrote %q: %v", b, err)
		}
		return n, string(out)
	}
	rss1, out1 := maxRSS("first")
	rss2, out2 := maxRSS("second")
	if out1 != out2 || strings.Count(out1, "\n") != n {
		t.Fatalf("the second submit printed other ids than the first")
	}
	t.Logf("file %d MB: first submit max RSS %d MB, second (every key existing) %d MB", fi.Size()>>20, rss1>>20, rss2>>20)
	if rss2-rss1 > fi.Size()/2 {
		t.Errorf("submit -f of a %d MB file whose %d keys all name tasks submitted before held %d MB at most, %d MB more than its first submit (%d MB): every line's spec is kept until the keys' tasks are read, where README says its tasks are never all in memory",
			fi.Size()>>20, n, rss2>>20, (rss2-rss1)>>20, rss1>>20)
	}
}
