package client

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/store"
)

// TestReview169ListShowsARecordOfAnotherTaskUnderItsName: a record at a
// task's path that holds another task (copied there by hand) is malformed
// for every reader that looks the task up (store.DecodeTaskOf: "a record
// of another task ... would otherwise stand in for it"; the leader's
// decodeAssignment too): drover status A says malformed and moves it to
// deadletter. But ListTasks (drover ls, /api/v1/tasks, the dashboard)
// decodes each record it lists with DecodeTask alone, never comparing the
// id in the record with the name it was listed under: the result at
// results/../A that holds task B is listed as task B, finished, and A is
// not listed (nor counted skipped). drover ls shows a task B that drover
// status B calls unknown, and hides A, whose status says malformed.
// Expected: as status, a record of another task than its name is
// malformed: skipped and counted (Skipped), not listed as that task.
func TestReview169ListShowsARecordOfAnotherTaskUnderItsName(t *testing.T) {
	c, st := newClient(t)
	lay := st.Layout()
	a := ulid.Make().String()
	b := ulid.Make().String() // a task nobody submitted
	if err := st.EnsureBuckets(a); err != nil {
		t.Fatal(err)
	}
	rec := fmt.Sprintf(`{"v":1,"id":%q,"cmd":["true"],"attempt":1,"state":"succeeded","exit_code":0,"submitted_at":%q,"finished_at":%q}`,
		b, time.Now().UTC().Format(time.RFC3339Nano), time.Now().UTC().Format(time.RFC3339Nano))
	if err := st.Create(lay.Result(a), []byte(rec)); err != nil {
		t.Fatal(err)
	}
	res, err := c.ListTasks(context.Background(), ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, task := range res.Tasks {
		listed = append(listed, task.ID)
	}
	// The control: status of B knows no such task, status of A calls the
	// record malformed.
	_, errB := c.Status(context.Background(), b)
	if !errors.Is(errB, store.ErrUnknownTask) {
		t.Fatalf("control: status of %s (never submitted): %v, want unknown", b, errB)
	}
	if len(listed) != 0 || res.Skipped != 1 {
		t.Fatalf("ListTasks over one result at %s's path holding task %s lists %v (skipped %d): a task drover status calls unknown (%v) is shown finished, in place of %s; want none listed and one skipped, as status finds the record malformed",
			a, b, listed, res.Skipped, errB, a)
	}
}
