package scheduler

import (
	"fmt"
	"testing"
	"time"

	"github.com/drover-sched/drover/store"
)

// BenchmarkPassAllowLists times one placement pass over the mix review144
// measured: 100 busy workers, each with a prefetch and an allow-list of 20
// literal names admitting its own 20 of 2,000 programs, and 2,000 timed
// commands (they cannot wait), one per program. The pass places nothing;
// it tries each program in turn (reserving the worker that admits it), so
// it asks every worker whether it runs each program several times over:
// the cost of matching allow-lists is most of the pass.
func BenchmarkPassAllowLists(b *testing.B) {
	const workers, perWorker = 100, 20
	const programs = workers * perWorker
	l := &leader{s: &Scheduler{}, workers: map[string]*workerView{}, byBucket: map[string]map[string]*queued{},
		ready: newReadyQueue(), delayed: &taskHeap{less: dueFirst}, now: time.Now, kept: maxKept}
	prog := func(i int) string { return fmt.Sprintf("/opt/jobs/job-%d", i) }
	for i := range workers {
		id := fmt.Sprintf("cw-%03d", i)
		allow := make([]string, perWorker)
		for j := range allow {
			allow[j] = prog(i*perWorker + j)
		}
		// As applyWorker reads a registration.
		w := newWorkerView(int64(i + 1))
		w.slot = slotOf(&store.WorkerInfo{ID: id, Host: "test", Capacity: 1, Prefetch: 1, Allow: allow})
		w.slot.ID = id
		w.listedOnce = true
		// Busy: its slot taken, its prefetch free.
		w.checked["busy-"+id] = time.Time{}
		w.recount()
		l.workers[id] = w
	}
	for i := range programs {
		l.ready.push(newQueued(&store.Task{ID: spreadID(i), Cmd: []string{prog(i)}, Timeout: store.Millis(60000)}, 0, true))
	}
	if len(l.ready.shapes) != 1 {
		b.Fatalf("%d shapes, want 1", len(l.ready.shapes))
	}
	var looks uint64
	for b.Loop() {
		before := l.ready.looks
		if err := l.place(); err != nil {
			b.Fatal(err)
		}
		looks = l.ready.looks - before
	}
	if l.inflight != 0 || l.ready.Len() != programs {
		b.Fatalf("the pass placed something: %d in flight, %d ready of %d", l.inflight, l.ready.Len(), programs)
	}
	for id, w := range l.workers {
		if !w.Reserved {
			b.Fatalf("worker %s not reserved by its programs' tasks", id)
		}
	}
	b.ReportMetric(float64(looks), "looks/pass")
}
