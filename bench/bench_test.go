package bench

import (
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/store"
)

// Hot-path micro-benchmarks: the per-task work done in Go, to compare with
// the per-task ZooKeeper cost measured by `drover bench`.

func sampleTask() *store.Task {
	return &store.Task{ID: ulid.Make().String(), Cmd: []string{"./resize.sh", "in.png", "out.png"},
		Env: map[string]string{"A": "1"}, Retries: 3, Timeout: store.MillisOf(time.Minute),
		On: map[string]string{"gpu": "true"}, Priority: store.PriorityHigh, SubmittedAt: time.Now().UTC(), Attempt: 1}
}

func BenchmarkEncodeTask(b *testing.B) {
	t := sampleTask()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := store.Encode(t); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeTask(b *testing.B) {
	data, err := store.Encode(sampleTask())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := store.DecodeTask(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSlotTaskID(b *testing.B) {
	slot := time.Now().Truncate(time.Second)
	for b.Loop() {
		_ = store.SlotTaskID("nightly", slot, 0)
	}
}
