package scheduler

import (
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// review143: reserveProgs bounds the programs reserved by iterating
// sq.heads[:16], the shape's heap of programs in array order, not in queue
// order (and index 0 is the program just set aside, so 15 others at most).
// In a binary heap the 5th program in queue order may sit at index 16. Here
// 17 programs of one shape (timeouts, equal priority) are queued so that
// the heap array is their push order: ranks 1, 2, 3, 4 at indices 0, 1, 3,
// 7 and rank 5, program "pt", at index 16 (16 -> 7 -> 3 -> 1 -> 0); the
// others (ranks 6 - 17) fill the remaining indices in order. Only wt admits
// pt (busy, prefetch room); then a pt task that can wait is queued last.
// Since pt's task that cannot wait is 5th in the queue's order, the task
// that can wait must not be prefetched onto wt; it is, because the loop
// stopped at index 15, after reserving for programs 6th to 17th in order.
func TestReview143ReserveProgsTakesHeapOrderNotQueueOrder(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	registerWorkerInfo(t, root, &store.WorkerInfo{ID: "wt", Host: "test", Capacity: 1, Prefetch: 2,
		Allow: []string{"pt"}, StartedAt: time.Now()})
	l, _, _ := termOf(t, st)
	syncWorkerView(t, l, 1) // a listing per worker
	l.ready.push(newQueued(&store.Task{ID: spreadID(0), Cmd: []string{"pt"}, Timeout: store.Millis(60000)}, 0, true))
	if err := l.place(); err != nil {
		t.Fatal(err)
	}
	if w := l.workers["wt"]; w.free() != 0 || w.freeFor(true) != 2 {
		t.Fatalf("wt: %d free, %d with its prefetch; want 0 and 2", w.free(), w.freeFor(true))
	}
	// ids by rank (queue order): ids[r] for rank r = 1..17.
	ids := make([]string, 18)
	for r := 1; r <= 17; r++ {
		ids[r] = spreadID(r)
	}
	// Heap index -> rank: 0:1, 1:2, 3:3, 7:4, 16:5; the rest 6.. in index order.
	rankAt := map[int]int{0: 1, 1: 2, 3: 3, 7: 4, 16: 5}
	next := 6
	for i := 0; i < 17; i++ {
		if _, ok := rankAt[i]; !ok {
			rankAt[i] = next
			next++
		}
	}
	for i := 0; i < 17; i++ {
		r := rankAt[i]
		prog := "q" + string(rune('a'+r))
		if r == 5 {
			prog = "pt"
		}
		l.ready.push(newQueued(&store.Task{ID: ids[r], Cmd: []string{prog}, Timeout: store.Millis(60000)}, 0, true))
	}
	sq := l.ready.shapes[shapeOf(&store.Task{Cmd: []string{"pt"}, Timeout: store.Millis(60000)})]
	if sq == nil || len(sq.heads) != 17 || sq.heads[16].peek().id != ids[5] {
		t.Fatalf("heap layout not as built")
	}
	wait := spreadID(30)
	l.ready.push(newQueued(&store.Task{ID: wait, Cmd: []string{"pt"}}, 0, true))
	if err := l.place(); err != nil {
		t.Fatal(err)
	}
	if w := l.workers["wt"]; w.Used != 1 {
		t.Fatalf("wt took %d assignments, %d prefetched: pt task %s that can wait was prefetched onto wt ahead of "+
			"pt task %s that cannot wait, 5th of its shape's 17 programs in the queue's order but at index 16 of "+
			"sq.heads, past the reserveProgs loop (programs 6th to 17th in order were reserved for)",
			w.Used, w.Used-w.Capacity, wait, ids[5])
	}
}
