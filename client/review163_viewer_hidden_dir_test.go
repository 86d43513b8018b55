package client

import (
	"context"
	"errors"
	"testing"

	"github.com/drover-sched/drover/store"
)

// f6f17f9 made store.Assignments skip, silently, a worker's tasks/
// directory ZooKeeper's ACLs keep from the reader, for drover workers. But
// Assignments is also how drover status, logs, wait (LookupTaskIn,
// checkKnown) and drover ls find a task that is placed. A worker started
// without DROVER_ZK_AUTH_READONLY makes its tasks/ directory before any
// leader does, with no entry for the viewer; the leader (given the
// read-only identity) places a task there, its assignment record readable
// by the viewer. The viewer's drover status then says the running task
// does not exist ("no such task": before f6f17f9 it said 'not
// authorized'), and its drover ls leaves the task out without counting it
// as skipped, where README says a listing by the read-only identity skips
// what it may not read "and says how many". (review162 found the same.)
func TestReview163ViewerHiddenAssignmentDirLosesTask(t *testing.T) {
	v := newViewerCluster(t)
	owner := v.owner()
	v.worker("blindw", nil, v.blind()) // first: its directory is made by it, before a leader
	v.scheduler()
	id := v.running(owner, nil, "blindw")
	vc := v.viewer()
	if _, err := vc.Status(context.Background(), id); errors.Is(err, store.ErrUnknownTask) {
		t.Errorf("the viewer's drover status of task %s, running on a worker whose tasks/ directory it may not list, says the task does not exist: %v", id, err)
	}
	l, err := vc.ListTasks(v.ctx, ListOptions{})
	if err != nil {
		t.Fatalf("viewer's listing: %v", err)
	}
	found := false
	for _, tk := range l.Tasks {
		found = found || tk.ID == id
	}
	if !found && l.Skipped == 0 {
		t.Errorf("the viewer's drover ls neither lists running task %s nor counts anything skipped (%d listed): a placed task hidden without a word", id, len(l.Tasks))
	}
}
