package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// droverToFull runs the binary with its stdout on /dev/full: every write to
// it fails (ENOSPC), as on a full disk (`drover submit -- x > ids.txt`).
func droverToFull(t *testing.T, root string, args ...string) result {
	t.Helper()
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skipf("no /dev/full: %v", err)
	}
	defer full.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, append([]string{"--zk", zkAddr, "--root", root, "--session-timeout", "2s"}, args...)...)
	var errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = full, &errb
	err = cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run drover %v: %v", args, err)
	}
	return result{code: code, stderr: errb.String()}
}

// A submit whose id cannot be written to stdout exits 0 and prints nothing
// at all: the task was accepted and will run, but its id, the one handle a
// script has on it, is lost without a word (ls, workers, status, version
// and config print, whose writes fail the same way, exit 1 naming the
// error). With -o json it does exit 1, but says the task's id was "printed
// above" when nothing was printed: the id is nowhere.
func TestReview133SubmitIDLostOnStdoutWriteError(t *testing.T) {
	root := newRoot()
	for _, args := range [][]string{
		{"submit", "--", "true"},
		{"submit", "-o", "json", "--", "true"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			r := droverToFull(t, root, args...)
			// The task it wrote, found by listing (the only one named so).
			var ids []string
			for _, line := range strings.Split(drover(t, root, "ls", "-o", "wide").stdout, "\n")[1:] {
				if f := strings.Fields(line); len(f) > 0 {
					ids = append(ids, f[0])
				}
			}
			if len(ids) == 0 {
				t.Fatalf("no task was submitted: %+v", r)
			}
			newest := ids[0]
			if r.code == 0 {
				t.Fatalf("exit 0 with its id unwritten (stdout full): task %s accepted, its id printed nowhere; stderr %q", newest, r.stderr)
			}
			if !strings.Contains(r.stderr, newest) {
				t.Fatalf("exit %d, but stderr does not name the task it submitted (%s), whose id could not be printed: %q", r.code, newest, r.stderr)
			}
		})
	}
}
