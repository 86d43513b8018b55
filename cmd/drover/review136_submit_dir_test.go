package main

import (
	"testing"
)

// TestReview136SubmitFileThatIsADirectory: since 9b93ffc submit -f copies
// any input that is not a regular file to a temporary file, and wraps
// every error of that copy in errKeep, "a failure to keep a pipe's tasks
// in a temporary file: the host's (TMPDIR), not the input's", exit 1. A
// directory named by mistake (drover submit -f jobs/) is not a regular
// file: reading it fails with EISDIR in the copy, and submit now exits 1
// blaming the temporary file ("keep the input in a temporary file to read
// it twice: write /tmp/drover-submit-N.jsonl: copy_file_range: is a
// directory"), where it exited 2 before, "read DIR: is a directory": bad
// input, the input's fault. An error reading the input should stay a
// usage error naming the input.
func TestReview136SubmitFileThatIsADirectory(t *testing.T) {
	root := newRoot()
	dir := t.TempDir()
	r := drover(t, root, "submit", "-f", dir)
	oneLineError(t, r, 2, "read "+dir+": is a directory")
}
