package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

func TestNewTaskIDPacesBuckets(t *testing.T) {
	now := time.Now()
	perBucket := map[string]int{}
	prev := ""
	for i := 0; i < 3*store.MaxBucketTasks; i++ {
		id := store.NewTaskID(now) // a burst: the clock does not move
		if err := store.ValidateTaskID(id); err != nil {
			t.Fatal(err)
		}
		if id <= prev {
			t.Fatalf("ids not increasing: %s after %s", id, prev)
		}
		prev = id
		b1, b2 := store.Bucket(id)
		perBucket[b1+b2]++
	}
	for b, n := range perBucket {
		if n > store.MaxBucketTasks {
			t.Fatalf("bucket %s got %d ids; at most %d", b, n, store.MaxBucketTasks)
		}
	}
}

func TestSubmitRefusesOverfullBucket(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	ms := uint64(time.Now().UnixMilli())
	tasks := make([]*store.Task, store.MaxBucketTasks+1)
	for i := range tasks {
		tasks[i] = &store.Task{ID: ulid.MustNew(ms, ulid.DefaultEntropy()).String(), Cmd: []string{"true"}, SubmittedAt: time.Now().UTC()}
	}
	if _, err := st.Submit(context.Background(), tasks); !errors.Is(err, store.ErrBucketFull) {
		t.Fatalf("submit of %d ids in one millisecond: %v, want ErrBucketFull", len(tasks), err)
	}
	if ok, _, _ := st.Exists(st.Layout().QueueItem(tasks[0].ID)); ok {
		t.Fatal("a refused submit wrote tasks")
	}
}

// A request too large for the client's buffer is never sent; it comes back
// as ErrTooLarge, not as the client library's own error.
func TestOversizedRequestIsTooLarge(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	p := st.Layout().Deadletter() + "/huge"
	if err := st.Create(p, make([]byte, 2<<20)); !errors.Is(err, store.ErrTooLarge) {
		t.Fatalf("create of 2 MiB: err %v, want ErrTooLarge", err)
	}
	if err := st.Create(p, []byte("small")); err != nil {
		t.Fatalf("the connection did not survive: %v", err)
	}
}
