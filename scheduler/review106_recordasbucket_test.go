package scheduler

import (
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// TestTaskRecordWhereABucketBelongsIsMovedAsideNotDeleted: a task record
// written one level too high, at queue/<task-id> where only first-level
// buckets belong, is malformed data and is to be moved to deadletter
// with its origin. The leader takes it for an empty first-level bucket
// (its name parses as a ULID prefix, so BucketEnd gives it the id's time)
// and its sweep of empty buckets deletes it: the record is gone, with no
// deadletter record and no log of what it held.
func TestTaskRecordWhereABucketBelongsIsMovedAsideNotDeleted(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	id := ulid.MustNew(ulid.Timestamp(time.Now().Add(-time.Hour)), rand.Reader).String()
	p := st.Layout().Queue() + "/" + id
	rec := fmt.Sprintf(`{"v":1,"id":%q,"cmd":["backup.sh"],"state":"queued"}`, id)
	if err := st.Create(p, []byte(rec)); err != nil {
		t.Fatal(err)
	}
	runScheduler(t, st, "s1", func(c *Config) { c.BucketGrace = 200 * time.Millisecond })
	gone := drovertest.Eventually(20*time.Second, func() bool {
		ok, _, err := st.Exists(p)
		return err == nil && !ok
	})
	if !gone {
		return // left in place: nothing lost
	}
	dir := st.Layout().Deadletter()
	names, err := st.Children(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		data, _, err := st.Get(dir + "/" + n)
		if err != nil {
			t.Fatal(err)
		}
		var d store.Deadletter
		if store.Decode(data, &d) == nil && d.From == p {
			return
		}
	}
	t.Fatalf("the task record at %s was deleted as an empty bucket, and is in no deadletter record (%d records)", p, len(names))
}
