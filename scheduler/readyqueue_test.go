package scheduler

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/drover-sched/drover/store"
)

// The ready queue against a plain list: in random sequences of pushes,
// removals, pops, shapes and programs set aside and passes ended, first
// is always the readyFirst-least task whose shape and program are not set
// aside, Len counts every task, and an empty queue keeps no shape.
func TestReadyQueueMatchesAList(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	labels := []map[string]string{nil, {"gpu": "1"}, {"zone": "a"}}
	programs := []string{"a", "b", "c", "d"}
	for round := range 200 {
		r := newReadyQueue()
		var all []*queued
		asideShape, asideProg := map[shape]bool{}, map[[2]any]bool{}
		seq := 0
		for op := range 300 {
			where := fmt.Sprintf("round %d op %d", round, op)
			switch k := rng.IntN(10); {
			case k < 4:
				seq++
				task := &store.Task{ID: fmt.Sprintf("%07d%06d", rng.IntN(1_000_000), seq), Priority: store.Priority(rng.IntN(3) - 1),
					On: labels[rng.IntN(len(labels))], Cmd: []string{programs[rng.IntN(len(programs))]}}
				if rng.IntN(5) == 0 {
					task.Cmd, task.Handler = nil, "h"
				}
				q := newQueued(task, 0, false)
				r.push(q)
				all = append(all, q)
			case k < 5 && len(all) > 0:
				i := rng.IntN(len(all))
				r.remove(all[i])
				all = append(all[:i], all[i+1:]...)
			case k < 7:
				q, sq := r.first()
				if q == nil {
					break
				}
				if rng.IntN(2) == 0 {
					if got := r.pop(sq); got != q {
						t.Fatalf("%s: pop gave %s, first said %s", where, got.id, q.id)
					}
					for i, x := range all {
						if x == q {
							all = append(all[:i], all[i+1:]...)
							break
						}
					}
				} else if rng.IntN(2) == 0 {
					r.setAside(sq)
					asideShape[q.shape] = true
				} else {
					r.setAsideProgram(sq)
					asideProg[[2]any{q.shape, q.runs}] = true
				}
			case k < 8:
				r.restore()
				clear(asideShape)
				clear(asideProg)
			}
			var want *queued
			for _, q := range all {
				if asideShape[q.shape] || asideProg[[2]any{q.shape, q.runs}] {
					continue
				}
				if want == nil || readyFirst(q, want) {
					want = q
				}
			}
			if got, _ := r.first(); got != want {
				t.Fatalf("%s: first %v, want %v", where, got, want)
			}
			if r.Len() != len(all) {
				t.Fatalf("%s: Len %d, want %d", where, r.Len(), len(all))
			}
		}
		for _, q := range all {
			r.remove(q)
		}
		r.restore()
		if len(r.shapes) != 0 || len(r.heads) != 0 || r.Len() != 0 {
			t.Fatalf("round %d: emptied queue keeps %d shapes, %d heads, %d tasks", round, len(r.shapes), len(r.heads), r.Len())
		}
	}
}
