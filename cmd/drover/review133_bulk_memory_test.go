package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// submit -f reads the whole file into memory, every line kept as a
// TaskSpec (and checked as a task) before anything is written, with no
// bound on how many lines: some 570 bytes of memory for each 17-byte line
// `{"cmd":["true"]}`. A 100 MB file takes 3.4 GB before its bad last line is
// refused; a 1 GB file (a log given by mistake, a generator run away) takes
// some 34 GB, more than the machine has. Under a 2 GiB address-space limit
// (ulimit -v, as a CI job or a container may set) the 100 MB file crashes
// the CLI: "fatal error: out of memory" and a dump of every goroutine, some
// 130 lines, exit 2 — which reads as a usage error. Every other file the
// CLI reads is bounded (--config, credentials, wait -f's words); this one
// should be too (a bound on its tasks, or a second pass over it), refused
// with one line.
func TestReview133SubmitFileOfManyLinesCrashes(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	file := filepath.Join(t.TempDir(), "many.jsonl")
	data := bytes.Repeat([]byte(`{"cmd":["true"]}`+"\n"), 6_000_000)
	data = append(data, `{"cmd":["true"],"retries":1.5}`+"\n"...) // refused: nothing is written
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	data = nil
	root := newRoot()
	limited := func(file string) (code int, stdout, stderr string) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "sh", "-c", `ulimit -v 2097152 && exec "$@"`, "sh",
			binary, "--zk", zkAddr, "--root", root, "--session-timeout", "2s", "submit", "-f", file)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return code, out.String(), errb.String()
	}
	// The limit itself is no trouble: a small bad file is refused as it
	// should be.
	small := filepath.Join(t.TempDir(), "small.jsonl")
	if err := os.WriteFile(small, []byte(`{"cmd":["true"]}`+"\n"+`{"cmd":["true"],"retries":1.5}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := limited(small); code != 2 || stderr != "drover: submit -f "+small+": line 2: retries: want a whole number, got 1.5\n" {
		t.Fatalf("small file under the limit: exit %d, %q", code, stderr)
	}
	code, stdout, stderr := limited(file)
	lines := strings.Count(strings.TrimRight(stderr, "\n"), "\n") + 1
	if code != 2 || lines != 1 || !strings.HasPrefix(stderr, "drover: ") {
		first := stderr
		if i := strings.IndexByte(first, '\n'); i >= 0 {
			first = first[:i]
		}
		t.Fatalf("submit -f of 6,000,001 lines (102 MB) under a 2 GiB address-space limit: exit %d, %d line(s) on stderr, the first %q; want one \"drover: \" line, exit 2%s",
			code, lines, first, fmt.Sprintf(" (stdout %d bytes)", len(stdout)))
	}
	assertNothingWritten(t, root)
}
