package scheduler

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// The kept records' byte budget (maxKeptBytes, 1f8e174) counts a record by
// recordBytes, which takes an env entry (or a label) as len(k)+len(v)+6
// bytes and an argument as len(a)+4: a Go map entry and a string header
// cost several times that. A record of many short env entries (submit -f of
// a generated spec) counts ~8 KB and holds ~40 KB, so the kept records hold
// several times the budget the commit says bounds them: with the default
// 32 MiB, some 170 MB, the very overshoot review124 found (200 MB).
// (Found by review128.)
func TestReview128KeptRecordsHeapWithinTheirByteBudget(t *testing.T) {
	defer func(n int) { maxKeptBytes = n }(maxKeptBytes)
	maxKeptBytes = 4 << 20
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	s, err := New(Config{ID: "s1", Store: st, Log: drovertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	l := newLeader(s, &Term{Fence: st.Layout().Schedules()}, 1)
	t.Cleanup(l.stop)
	env := map[string]string{}
	for i := range 150 { // (700, as found, now costs past maxKeptRecord: none is kept)
		env[fmt.Sprintf("V%03d", i)] = "1"
	}
	// Records as a read from ZooKeeper decodes them, each its own.
	const n = 1500
	var datas [][]byte
	for range n {
		data, err := store.Encode(&store.Task{ID: store.NewTaskID(time.Now()), Cmd: []string{"./job.sh"}, Env: env,
			Retries: 1, Priority: store.PriorityNormal, State: store.StateQueued, SubmittedAt: time.Now().UTC()})
		if err != nil {
			t.Fatal(err)
		}
		datas = append(datas, data)
	}
	// What n queued tasks cost without their records (BenchmarkQueuedMemory:
	// ~110-180 bytes each) is left out generously.
	held := queueHeld(t, l, datas) - n*1024
	if l.kept == 0 || l.keptBytes > maxKeptBytes {
		t.Fatalf("kept %d records, %d bytes by keptCost: want some, within %d", l.kept, l.keptBytes, maxKeptBytes)
	}
	if held > 2*int64(maxKeptBytes) {
		t.Fatalf("the %d kept records (keptBytes %d, budget %d) hold %d bytes of heap, %.1f times the budget: "+
			"recordBytes counts an env entry as len(k)+len(v)+6 bytes, a Go map entry costs several times that",
			l.kept, l.keptBytes, maxKeptBytes, held, float64(held)/float64(maxKeptBytes))
	}
	t.Logf("kept %d records, keptBytes %d, heap held %d", l.kept, l.keptBytes, held)
}

// queueHeld decodes the records datas and queues them in l's view, as a
// read from ZooKeeper does, and returns the heap they then hold.
func queueHeld(t *testing.T, l *leader, datas [][]byte) int64 {
	t.Helper()
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for _, d := range datas {
		task, err := store.DecodeTask(d)
		if err != nil {
			t.Fatal(err)
		}
		l.addQueued(task, 0)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(datas)
	return int64(after.HeapAlloc) - int64(before.HeapAlloc)
}
