package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestReview137SubmitKeepFailsMidLine: since 335cf5a submit -f keeps a
// pipe's input in its temporary file through an io.TeeReader as the check
// reads it, a failure to write the copy (errKeep's: exit 1, "keep the input
// in a temporary file to read it twice: ...") reaching the check's
// bufio.Scanner as a read error. But a Scanner handed a read error gives
// the bytes it holds as one last line first, so when the copy fails in the
// middle of a line (TMPDIR full; here a 16 KiB RLIMIT_FSIZE, 16384 bytes
// of 100-byte lines) that cut line is decoded and refused: submit exits 2
// blaming a line of a valid input ("line 164: unexpected
// EOF") and the host's failure is never said. The temporary file's
// failure should be caught before the line is checked (keep the error
// aside in keeping and test it first, or copy only whole lines).
func TestReview137SubmitKeepFailsMidLine(t *testing.T) {
	root := newRoot()
	var in strings.Builder
	for i := 0; i < 400; i++ {
		l := fmt.Sprintf(`{"cmd":["true"],"name":"task-%04d-`, i)
		l += strings.Repeat("x", 100-1-len(l)-2) + `"}` + "\n"
		if len(l) != 100 {
			t.Fatalf("line of %d bytes", len(l))
		}
		in.WriteString(l)
	}
	tmp := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// 32 blocks of 512 bytes (dash's unit): 16 KiB at most a file.
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", `ulimit -f 32 && TMPDIR="$1" && export TMPDIR && shift && exec "$@"`, "sh",
		tmp, binary, "--zk", zkAddr, "--root", root, "--session-timeout", "2s", "submit", "-f", "-")
	var out, errb bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(in.String()), &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("temporary file left: %v", left[0].Name())
	}
	oneLineError(t, r, 1, "keep the input in a temporary file")
}
