package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// review199: a second follower of a task already followed adds no znode
// (FollowTask: "unless another follower's is there (owned false: it is
// shared"), and README counts tasks followed, not followers; with 1,024
// tasks followed, it is refused all the same: FollowTask counts the
// directory before it looks for the task's znode.
func TestReview199SecondFollowerOfAFollowedTaskAtTheCap(t *testing.T) {
	root := drovertest.NewRoot()
	first := drovertest.OpenStore(t, root)
	var ids []string
	for range store.MaxFollowers {
		id := store.NewTaskID(time.Now())
		if _, err := first.FollowTask(context.Background(), id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	second := drovertest.OpenStore(t, root)
	owned, err := second.FollowTask(context.Background(), ids[0])
	if err != nil || owned {
		t.Fatalf("a second follower of a task followed, with %d tasks followed: owned %v, %v; want the znode shared (false, nil)", store.MaxFollowers, owned, errors.Unwrap(err))
	}
}
