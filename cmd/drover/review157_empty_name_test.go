package main

import "testing"

// TestReview157EmptyTaskNameIsRefused: README says a task's --name is 1 to
// 128 bytes, refused up front, one line, exit 2; and an empty --key,
// --priority, --tz or --root on the command line (a variable left unset:
// --name "$JOB") is refused, exit 2. An empty --name (or "name": "" in a
// submit -f line) is accepted, exit 0, and the task silently goes unnamed:
// DROVER_TASK_NAME is not set for it and `ls` shows "-".
func TestReview157EmptyTaskNameIsRefused(t *testing.T) {
	root := newRoot()
	makeCluster(t, root)
	oneLineError(t, drover(t, root, "submit", "--name", "", "--", "true"), 2, "name")
	oneLineError(t, droverIn(t, root, `{"cmd":["true"],"name":""}`+"\n", "submit", "-f", "-"), 2, "name")
	assertNothingWritten(t, root)
}
