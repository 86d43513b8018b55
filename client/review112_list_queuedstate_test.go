package client

import (
	"context"
	"fmt"
	"testing"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/store"
)

// Found by review112.

// TestListingShowsAQueueItemAsQueued: cc85d93 made a queue item a queued
// task whatever state its record claims (store.LookupTaskIn): drover status
// says "queued" of an item whose record says "succeeded", and cancel
// stops it. The listing was left out: it keeps the state the record says,
// so `drover ls --state queued` (and /api/v1/tasks?state=queued) leaves
// the task out, while `drover ls` shows it "succeeded" and `drover ls
// --state succeeded`, reading only results, does not show it either. The
// task waits in the queue, to be placed and run, listed under no filter
// that would find it.
func TestListingShowsAQueueItemAsQueued(t *testing.T) {
	c, st := newClient(t)
	id := ulid.Make().String()
	if err := st.EnsureBuckets(id); err != nil {
		t.Fatal(err)
	}
	rec := fmt.Sprintf(`{"v":1,"id":%q,"cmd":["true"],"attempt":1,"state":"succeeded"}`, id)
	if err := st.Create(st.Layout().QueueItem(id), []byte(rec)); err != nil {
		t.Fatal(err)
	}
	status, err := c.Status(context.Background(), id)
	if err != nil || status.State != store.StateQueued {
		t.Fatalf("status: %+v, %v; want queued", status, err)
	}
	queued, err := c.ListTasks(context.Background(), ListOptions{State: store.StateQueued})
	if err != nil {
		t.Fatal(err)
	}
	all, err := c.ListTasks(context.Background(), ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	shown := "not listed"
	for _, task := range all.Tasks {
		if task.ID == id {
			shown = string(task.State)
		}
	}
	for _, task := range queued.Tasks {
		if task.ID == id {
			return
		}
	}
	t.Fatalf("task %s, queued (status says so, and the leader places it): not listed by ls --state queued; ls lists it as %s", id, shown)
}
