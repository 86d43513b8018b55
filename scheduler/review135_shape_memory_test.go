package scheduler

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// TestReview135UnkeptQueuedTasksHoldNoRecordSizedIndex: a queued task
// the view does not keep (keptCost over maxKeptRecord) costs ~110-180
// bytes of index, by the leader's own account (maxKept, and
// BenchmarkQueuedMemory: 1,000,000 queued within 512 MB). But its labels
// go whole into its shape key (shapeOf: labelsKey interned with
// unique.Make) and its program whole into its runnable, whatever its size
// and whether the record is kept: a task's labels, up to MaxSpecSize
// (256 KiB) of them, stay in the leader's heap for as long as it is
// queued, outside maxKeptBytes. Tasks whose labels differ (a label per
// tenant, a request id as a label value, or a client gone wrong) each
// intern their own: 1,000 such tasks of 200 KiB of labels hold 200 MB, a
// few thousand queued take a leader past its memory, where the same tasks
// with the same bytes in env cost a few hundred bytes each.
func TestReview135UnkeptQueuedTasksHoldNoRecordSizedIndex(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	s, err := New(Config{ID: "s1", Store: st, Log: drovertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	l := newLeader(s, &Term{Fence: st.Layout().Schedules()}, 1)
	t.Cleanup(l.stop)
	// Since review135 a client writes at most store.MaxLabelBytes of
	// labels a task: 100 KiB are refused; at the bound, distinct values.
	big := &store.Task{ID: store.NewTaskID(time.Now()), Cmd: []string{"./job.sh"}, On: map[string]string{},
		Priority: store.PriorityNormal, State: store.StateQueued, SubmittedAt: time.Now().UTC()}
	for j := range 1000 {
		big.On[fmt.Sprintf("zone-%04d", j)] = fmt.Sprintf("tenant-%0080d", j)
	}
	if err := big.Validate(); err == nil {
		t.Fatalf("a task of %d bytes of labels passes Validate", store.LabelBytes(big.On))
	}
	const n, labels = 200, 39 // ~4 KiB of labels a task, distinct values
	var datas [][]byte
	for i := range n {
		on := map[string]string{}
		for j := range labels {
			on[fmt.Sprintf("zone-%04d", j)] = fmt.Sprintf("tenant-%06d-%080d", i, j)
		}
		task := &store.Task{ID: store.NewTaskID(time.Now()), Cmd: []string{"./job.sh"}, On: on,
			Env:      map[string]string{"BIG": strings.Repeat("x", 20<<10)}, // a record the view does not keep
			Priority: store.PriorityNormal, State: store.StateQueued, SubmittedAt: time.Now().UTC()}
		if err := task.Validate(); err != nil {
			t.Fatal(err)
		}
		data, err := store.EncodeSpec(task) // a client could submit it
		if err != nil {
			t.Fatal(err)
		}
		datas = append(datas, data)
	}
	held := queueHeld(t, l, datas)
	if l.kept != 0 {
		t.Fatalf("kept %d records: the test wants none kept", l.kept)
	}
	if per := held / n; per > maxKeptRecord {
		t.Fatalf("%d queued tasks, none kept, hold %d bytes of heap, %d each: more than a kept record may cost (maxKeptRecord %d); "+
			"their labels (~%d KiB each) live on in the interned shape keys, outside keptCost and maxKeptBytes",
			n, held, per, maxKeptRecord, len(datas[0])>>10)
	}
}
