package client

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/oklog/ulid/v2"
)

// TestQueuedItemSayingItFinishedCanBeCancelled: a queue item is a queued
// task whatever state its record claims; a record there saying
// "succeeded" (written by hand or by another program) is malformed. The
// client reads the state from the record, not from where the record is:
// Status says the task succeeded while it waits in the queue (a leader
// places and runs it), and Cancel refuses it as "already finished", so a
// queued task cannot be stopped, and the record is never moved aside.
func TestQueuedItemSayingItFinishedCanBeCancelled(t *testing.T) {
	c, st := newClient(t)
	id := ulid.Make().String()
	if err := st.EnsureBuckets(id); err != nil {
		t.Fatal(err)
	}
	item := st.Layout().QueueItem(id)
	rec := fmt.Sprintf(`{"v":1,"id":%q,"cmd":["true"],"attempt":1,"state":"succeeded"}`, id)
	if err := st.Create(item, []byte(rec)); err != nil {
		t.Fatal(err)
	}
	status, serr := c.Status(context.Background(), id)
	_, cerr := c.Cancel(context.Background(), id)
	queued, _, err := st.Exists(item)
	if err != nil {
		t.Fatal(err)
	}
	if errors.Is(cerr, ErrFinished) || queued {
		state := ""
		if status != nil {
			state = string(status.State)
		}
		t.Fatalf("queue item whose record says succeeded: status %q (%v); cancel: %v; still queued: %v", state, serr, cerr, queued)
	}
}
