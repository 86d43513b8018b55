package main

import (
	"bytes"
	"context"
	"os/exec"
	"testing"
	"time"
)

// TestReview136SubmitFileThatIsACharacterDevice: since 9b93ffc submit -f
// copies any input that is not a regular file into $TMPDIR before it
// checks a line of it. A character device is such an input, and one that
// never ends, /dev/zero (or /dev/urandom, a serial line) given by mistake,
// is copied until the disk is full; before, its first line was checked as
// it was read, and submit exited 2 at once, "line 1: longer than 1048576
// bytes". Here the copy is held to 16 MiB by a file size limit
// (RLIMIT_FSIZE, `ulimit -f`), so it ends "keep the input in a temporary
// file to read it twice: write ...: file too large", exit 1; without one
// it fills $TMPDIR. The check should go with the copy (stop at the first
// bad line), or only pipes be copied.
func TestReview136SubmitFileThatIsACharacterDevice(t *testing.T) {
	root := newRoot()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// 32768 blocks of 512 bytes (dash's unit): 16 MiB at most a file.
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", `ulimit -f 32768 && TMPDIR="$1" && export TMPDIR && shift && exec "$@"`, "sh",
		t.TempDir(), binary, "--zk", zkAddr, "--root", root, "--session-timeout", "2s", "submit", "-f", "/dev/zero")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	oneLineError(t, r, 2, "line 1")
}
