package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// submit -f FILE now reads FILE twice (check, then send) and seeks back
// between the reads; only `-f -` is spooled to a temporary file. A FILE that
// names a pipe (bash's `-f <(gen)`, which is /dev/fd/63, a FIFO made with
// mkfifo, or /dev/stdin fed by a pipe) cannot seek: submit refuses it, exit
// 2, "seek /dev/stdin: illegal seek", where before this change (ac16a96) it
// read it once and submitted its tasks. Any name that is not a regular file
// should be spooled as `-f -` is (or read once and held, as before).
func TestReview134SubmitFileThatIsAPipe(t *testing.T) {
	root := newRoot()
	line := `{"cmd":["true"]}` + "\n"

	// /dev/stdin fed by a pipe (droverIn gives the child a pipe).
	r := droverIn(t, root, line+line, "submit", "-f", "/dev/stdin")
	if r.code != 0 || strings.Count(r.stdout, "\n") != 2 {
		t.Errorf("submit -f /dev/stdin from a pipe: exit %d, stdout %q, stderr %q; want exit 0 and 2 ids", r.code, r.stdout, strings.TrimSpace(r.stderr))
	}

	// A named pipe, as `-f <(gen)` or mkfifo gives.
	fifo := filepath.Join(t.TempDir(), "tasks.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	wrote := make(chan error, 1)
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			wrote <- err
			return
		}
		_, err = f.WriteString(line)
		f.Close()
		wrote <- err
	}()
	r = drover(t, root, "submit", "-f", fifo)
	if r.code != 0 {
		// Unblock the writer should drover not have opened the FIFO.
		if f, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
	}
	<-wrote
	if r.code != 0 || strings.Count(r.stdout, "\n") != 1 {
		t.Errorf("submit -f FIFO: exit %d, stdout %q, stderr %q; want exit 0 and 1 id", r.code, r.stdout, strings.TrimSpace(r.stderr))
	}
}
