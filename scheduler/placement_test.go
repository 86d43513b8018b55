package scheduler

import (
	"container/heap"
	"fmt"
	"maps"
	"math"
	"runtime"
	"strings"
	"testing"
	"time"
	"unique"

	"github.com/drover-sched/drover/store"
)

func TestPickWorker(t *testing.T) {
	gpu := map[string]string{"gpu": "true"}
	tests := []struct {
		name    string
		workers []*slot
		want    map[string]string
		pick    string
		task    *store.Task // default: a command any worker runs
	}{
		{"none", nil, nil, "", nil},
		{"full", []*slot{{ID: "a", Capacity: 1, Used: 1}}, nil, "", nil},
		{"draining", []*slot{{ID: "a", Capacity: 4, Draining: true}}, nil, "", nil},
		{"least loaded by fraction", []*slot{
			{ID: "a", Capacity: 4, Used: 2}, {ID: "b", Capacity: 10, Used: 3},
		}, nil, "b", nil},
		{"tie on fraction: fewer running", []*slot{
			{ID: "a", Capacity: 4, Used: 2}, {ID: "b", Capacity: 2, Used: 1},
		}, nil, "b", nil},
		{"tie: id order", []*slot{{ID: "b", Capacity: 2}, {ID: "a", Capacity: 2}}, nil, "a", nil},
		{"labels required", []*slot{
			{ID: "a", Capacity: 8}, {ID: "b", Capacity: 1, Labels: gpu},
		}, gpu, "b", nil},
		{"labels unmatched", []*slot{{ID: "a", Capacity: 8, Labels: map[string]string{"gpu": "false"}}}, gpu, "", nil},
		{"handler", []*slot{{ID: "a", Capacity: 8}, {ID: "b", Capacity: 1, Handlers: []string{"resize"}}}, nil, "b",
			&store.Task{Handler: "resize"}},
		{"handler nowhere", []*slot{{ID: "a", Capacity: 8, Handlers: []string{"other"}}}, nil, "", &store.Task{Handler: "resize"}},
		{"no commands", []*slot{{ID: "a", Capacity: 8, NoCommands: true}, {ID: "b", Capacity: 1}}, nil, "b",
			&store.Task{Cmd: []string{"true"}}},
		{"allow-list", []*slot{{ID: "a", Capacity: 8, Allow: store.CompileAllow([]string{"/usr/bin/true"})}, {ID: "b", Capacity: 1}}, nil, "b",
			&store.Task{Cmd: []string{"echo"}}},
		{"allow-list admits", []*slot{{ID: "a", Capacity: 8, Allow: store.CompileAllow([]string{"/bin/sh"})}, {ID: "b", Capacity: 1}}, nil, "a",
			&store.Task{Cmd: []string{"echo hi"}, Shell: true}},
		// A retry goes elsewhere when it can: its last worker comes last.
		{"retry avoids its last worker", []*slot{{ID: "a", Capacity: 8}, {ID: "b", Capacity: 2, Used: 1}}, nil, "b",
			&store.Task{Cmd: []string{"true"}, History: []store.Attempt{{N: 1, Worker: "a", ExitCode: 1}}}},
		{"retry on its last worker when none else fits", []*slot{{ID: "a", Capacity: 8}, {ID: "b", Capacity: 1, Used: 1}}, nil, "a",
			&store.Task{Cmd: []string{"true"}, History: []store.Attempt{{N: 1, Worker: "a", ExitCode: 1}}}},
		// Prefetch: a task that can wait may go past a worker's capacity.
		{"prefetch", []*slot{{ID: "a", Capacity: 1, Used: 1, Prefetch: 2}}, nil, "a", nil},
		{"prefetch full", []*slot{{ID: "a", Capacity: 1, Used: 3, Prefetch: 2}}, nil, "", nil},
		{"prefetch: a task with a timeout cannot wait", []*slot{{ID: "a", Capacity: 1, Used: 1, Prefetch: 2}}, nil, "",
			&store.Task{Cmd: []string{"true"}, Timeout: 1000}},
		{"prefetch: a task with a starting deadline cannot wait", []*slot{{ID: "a", Capacity: 1, Used: 1, Prefetch: 2}}, nil, "",
			&store.Task{Cmd: []string{"true"}, StartBy: time.Unix(1e9, 0)}},
		{"prefetch: a timeout takes a free slot", []*slot{{ID: "a", Capacity: 1, Prefetch: 2}}, nil, "a",
			&store.Task{Cmd: []string{"true"}, Timeout: 1000}},
		{"a free slot before a prefetch slot", []*slot{{ID: "a", Capacity: 1, Used: 1, Prefetch: 8}, {ID: "b", Capacity: 4, Used: 3}}, nil, "b", nil},
		{"prefetch reserved", []*slot{{ID: "a", Capacity: 1, Used: 1, Prefetch: 2, Reserved: true}}, nil, "", nil},
		{"reserved: a free slot still takes", []*slot{{ID: "a", Capacity: 2, Used: 1, Prefetch: 2, Reserved: true}}, nil, "a", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			runs := runnable{}
			if tc.task != nil {
				runs = runnableOf(tc.task)
			}
			var after unique.Handle[string]
			if tc.task != nil && len(tc.task.History) > 0 {
				after = unique.Make(tc.task.History[len(tc.task.History)-1].Worker)
			}
			task := store.Task{}
			if tc.task != nil {
				task = *tc.task
			}
			task.On = tc.want
			got := pickWorker(tc.workers, shapeOf(&task), runs, after)
			switch {
			case got == nil && tc.pick != "":
				t.Fatalf("picked none, want %s", tc.pick)
			case got != nil && got.ID != tc.pick:
				t.Fatalf("picked %s, want %q", got.ID, tc.pick)
			}
		})
	}
}

func TestReadyQueueOrder(t *testing.T) {
	mk := func(id string, p store.Priority) *queued {
		return newQueued(&store.Task{ID: id, Priority: p}, 0, false)
	}
	q := &taskHeap{less: readyFirst}
	for _, it := range []*queued{
		mk("03", store.PriorityNormal), mk("01", store.PriorityLow), mk("05", store.PriorityHigh),
		mk("02", store.PriorityNormal), mk("04", store.PriorityHigh),
	} {
		heap.Push(q, it)
	}
	var got []string
	for q.Len() > 0 {
		got = append(got, heap.Pop(q).(*queued).id)
	}
	want := []string{"04", "05", "02", "03", "01"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("order %v, want %v", got, want)
		}
	}
}

func TestDelayQueueOrder(t *testing.T) {
	base := time.Unix(1000, 0)
	q := &taskHeap{less: dueFirst}
	for i, d := range []int{5, 1, 3} {
		heap.Push(q, newQueued(&store.Task{ID: string(rune('a' + i)), NotBefore: base.Add(time.Duration(d) * time.Second)}, 0, false))
	}
	prev := int64(0)
	for q.Len() > 0 {
		it := heap.Pop(q).(*queued)
		if it.notBefore < prev {
			t.Fatalf("not ordered by not_before")
		}
		prev = it.notBefore
	}
}

// A task's placement latency counts from when it was last queued, or its
// backoff ended: a task retried or re-queued from a lost worker was counted
// from its first submit (TestPlacementLatencyOfARetryCountsFromTheRetry in
// web). (Found by review.)
func TestReadySince(t *testing.T) {
	at := func(min int) time.Time { return time.Unix(0, 0).Add(time.Duration(min) * time.Minute) }
	ran := func(min int, lost bool) []store.Attempt {
		return []store.Attempt{{N: 1, FinishedAt: at(1)}, {N: 2, FinishedAt: at(min), Lost: lost}}
	}
	tests := []struct {
		name string
		task store.Task
		want time.Time
	}{
		{"first queued", store.Task{SubmittedAt: at(0)}, at(0)},
		{"backoff", store.Task{SubmittedAt: at(0), History: ran(2, false), NotBefore: at(3)}, at(3)},
		{"re-queued from a lost worker", store.Task{SubmittedAt: at(0), History: ran(60, true)}, at(60)},
		{"failed, no backoff", store.Task{SubmittedAt: at(0), History: ran(5, false)}, at(5)},
		{"drover retry", store.Task{SubmittedAt: at(0), History: ran(2, false), RetriedAt: at(60)}, at(60)},
		{"lost after a retry", store.Task{SubmittedAt: at(0), RetriedAt: at(60), History: ran(90, true)}, at(90)},
		{"nothing known", store.Task{}, time.Time{}},
	}
	for _, tc := range tests {
		if got := readySince(&tc.task); !got.Equal(tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestPickWorkerTakesTurns(t *testing.T) {
	ws := []*slot{{ID: "a", Capacity: 4}, {ID: "b", Capacity: 4}, {ID: "c", Capacity: 4}}
	var turn uint64
	got := map[string]int{}
	for i := 0; i < 3; i++ {
		s := pickWorker(ws, shapeOf(&store.Task{}), runnable{}, unique.Handle[string]{})
		turn++
		s.Last = turn // as the leader does; Used stays 0 as if each task ended at once
		got[s.ID]++
	}
	if len(got) != 3 {
		t.Fatalf("idle workers did not take turns: %v", got)
	}
}

// BenchmarkPlace500Workers is the leader's per-task placement work with 500
// registered workers: one heap pop and one pass over the workers.
func BenchmarkPlace500Workers(b *testing.B) {
	ws := make([]*slot, 500)
	for i := range ws {
		ws[i] = &slot{ID: fmt.Sprintf("w%03d", i), Capacity: 1 << 30, Labels: map[string]string{"zone": fmt.Sprint(i % 3)}}
	}
	q := &taskHeap{less: readyFirst}
	want := map[string]string{"zone": "1"}
	runs := runnableOf(&store.Task{Cmd: []string{"./resize.sh"}})
	var turn uint64
	for b.Loop() {
		heap.Push(q, &queued{task: &store.Task{ID: fmt.Sprintf("%026d", turn), On: want}, runs: runs})
		it := heap.Pop(q).(*queued)
		s := pickWorker(ws, shapeOf(it.task), it.runs, unique.Handle[string]{})
		turn++
		s.Last = turn
	}
}

// BenchmarkQueuedMemory reports the leader's memory per queued task beyond the
// kept records (the scale goal: 1,000,000 queued within 512 MB RSS).
func BenchmarkQueuedMemory(b *testing.B) {
	const n = 200000
	s := &Scheduler{}
	for b.Loop() {
		l := &leader{s: s, byBucket: map[string]map[string]*queued{}, ready: newReadyQueue(),
			delayed: &taskHeap{less: dueFirst}, now: time.Now, kept: maxKept}
		ids := make([]string, n)
		now := time.Now()
		for i := range ids {
			ids[i] = store.NewTaskID(now)
		}
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for _, id := range ids {
			// A fresh copy of the id, as a read from ZooKeeper would make.
			l.addQueued(&store.Task{ID: strings.Clone(id), Cmd: []string{"true"}, SubmittedAt: now}, 0)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "bytes/queued")
		runtime.KeepAlive(l)
	}
}

// The ready queue hands out tasks in readyFirst order across shapes; a
// shape set aside in a pass is skipped, tasks and all, until the pass ends,
// tasks pushed to it meanwhile included.
func TestReadyQueueShapes(t *testing.T) {
	r := newReadyQueue()
	mk := func(id string, prio store.Priority, on map[string]string, cmd string) *queued {
		return newQueued(&store.Task{ID: id, Priority: prio, On: on, Cmd: []string{cmd}}, 0, false)
	}
	gpu := map[string]string{"gpu": "1"}
	a1, a2 := mk("01A", store.PriorityNormal, nil, "true"), mk("01C", store.PriorityNormal, nil, "true")
	g1, g2 := mk("01B", store.PriorityNormal, gpu, "true"), mk("01D", store.PriorityHigh, map[string]string{"gpu": "1"}, "true")
	s1 := mk("01E", store.PriorityNormal, nil, "./other.sh")
	for _, q := range []*queued{a1, g1, a2, g2, s1} {
		r.push(q)
	}
	// Commands share a shape whatever their program; labels make another.
	if g1.shape != g2.shape || a1.shape != a2.shape || a1.shape == g1.shape || a1.shape != s1.shape {
		t.Fatal("shapes: same labels (and handler, or none) must match, others differ")
	}
	if h := shapeOf(&store.Task{Handler: "h"}); h == a1.shape || !a1.shape.commands() || h.commands() {
		t.Fatal("a handler's shape is not a command's")
	}
	if r.Len() != 5 || len(r.shapes) != 2 {
		t.Fatalf("%d ready in %d shapes, want 5 in 2", r.Len(), len(r.shapes))
	}
	next := func() *queued {
		t.Helper()
		q, sq := r.first()
		if q == nil {
			return nil
		}
		if got := r.pop(sq); got != q {
			t.Fatalf("pop gave %s, first said %s", got.id, q.id)
		}
		return q
	}
	// A pass: the gpu shape (first: it has the high-priority task) fits
	// nowhere and is set aside.
	if q, sq := r.first(); q != g2 {
		t.Fatalf("first %v, want the high-priority gpu task", q)
	} else {
		r.setAside(sq)
	}
	r.push(mk("01F", store.PriorityHigh, gpu, "true")) // pushed to the shape set aside
	for _, want := range []*queued{a1, a2, s1} {
		if got := next(); got != want {
			t.Fatalf("got %v, want %s", got, want.id)
		}
	}
	if q, _ := r.first(); q != nil || r.Len() != 3 {
		t.Fatalf("first %v with %d ready: the gpu shape is set aside for this pass", q, r.Len())
	}
	r.restore()
	if len(r.shapes) != 1 {
		t.Fatalf("%d shapes kept, want the gpu one only (the others emptied)", len(r.shapes))
	}
	r.remove(g1)
	for _, want := range []string{"01D", "01F"} {
		if got := next(); got == nil || got.id != want {
			t.Fatalf("got %v, want %s", got, want)
		}
	}
	if r.Len() != 0 || len(r.shapes) != 0 || len(r.heads) != 0 {
		t.Fatalf("empty queue holds %d tasks, %d shapes, %d heads", r.Len(), len(r.shapes), len(r.heads))
	}
	// A shape set aside and emptied meanwhile goes at restore.
	q := mk("01G", store.PriorityNormal, gpu, "true")
	r.push(q)
	_, sq := r.first()
	r.setAside(sq)
	r.remove(q)
	r.restore()
	if len(r.shapes) != 0 || len(r.heads) != 0 {
		t.Fatalf("an emptied shape set aside stayed: %d shapes, %d heads", len(r.shapes), len(r.heads))
	}
}

// BenchmarkPassBehindBlocked is a placement pass's queue work when 50,000
// ready tasks need a label no free worker has and ten runnable tasks wait
// behind them: one try for the blocked shape, not one per blocked task.
func BenchmarkPassBehindBlocked(b *testing.B) {
	ws := make([]*slot, 500)
	for i := range ws {
		ws[i] = &slot{ID: fmt.Sprintf("w%03d", i), Capacity: 4, Used: 4}
	}
	ws[0].Used = 0
	r := newReadyQueue()
	now := time.Now()
	for range 50000 {
		r.push(newQueued(&store.Task{ID: store.NewTaskID(now), Priority: store.PriorityHigh, On: map[string]string{"gpu": "1"}, Cmd: []string{"true"}}, 0, false))
	}
	for b.Loop() {
		var placed []*queued
		for range 10 {
			r.push(newQueued(&store.Task{ID: store.NewTaskID(now), Cmd: []string{"true"}}, 0, false))
		}
		for len(placed) < 10 {
			q, sq := r.first()
			if pickWorker(ws, q.shape, q.runs, q.after) == nil {
				r.setAside(sq)
				continue
			}
			placed = append(placed, r.pop(sq))
		}
		r.restore()
	}
}

// An attempt is overdue its grace after its timeout; the longest timeout is
// none rather than a sum that overflowed into the past (the leader withdrew
// such an attempt at once).
func TestOverdueAt(t *testing.T) {
	at := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	grace := 30 * time.Second
	longest := (math.MaxInt64 - grace) / time.Millisecond * time.Millisecond // the longest with a deadline
	for _, c := range []struct {
		timeout time.Duration
		want    time.Time
	}{
		{0, time.Time{}},
		{time.Minute, at.Add(time.Minute + grace)},
		{math.MaxInt64, time.Time{}},
		{longest, at.Add(longest + grace)},
	} {
		task := &store.Task{Timeout: store.MillisOf(c.timeout), AssignedAt: at}
		if got := overdueAt(task, grace); !got.Equal(c.want) {
			t.Errorf("timeout %v: overdue at %v, want %v", c.timeout, got, c.want)
		}
	}
	if got := overdueAt(&store.Task{Timeout: store.MillisOf(time.Minute)}, grace); !got.IsZero() {
		t.Errorf("not assigned: overdue at %v", got)
	}
}

// An attempt's start counts by ZooKeeper's clock (its running mark's mtime
// less the assignment's ctime), at most maxStartDelay, never the worker's
// own clock.
func TestStartedLate(t *testing.T) {
	at := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		mtime time.Time
		want  time.Duration
	}{
		{at, 0}, // not marked running
		{at.Add(45 * time.Second), 45 * time.Second}, // a worker back from a partition
		{at.Add(24 * time.Hour), maxStartDelay},      // bounded
		{at.Add(-time.Second), 0},
	} {
		if got := startedLate(store.Stat{Ctime: at, Mtime: c.mtime}); got != c.want {
			t.Errorf("mtime %v after ctime: %v, want %v", c.mtime.Sub(at), got, c.want)
		}
	}
}

// A shape's labels, read back from its key, are those its tasks require,
// whatever bytes they hold.
func TestShapeFitsTheLabelsItsTasksRequire(t *testing.T) {
	want := map[string]string{"a:b": "1:2", "zone": "eu", "x\x00y": "", "": "empty key"}
	s := shapeOf(&store.Task{On: want, Handler: "h"})
	with := func(labels map[string]string) *slot { return &slot{Labels: labels} }
	if !s.fits(with(want)) || !s.fits(with(map[string]string{"a:b": "1:2", "zone": "eu", "x\x00y": "", "": "empty key", "more": "x"})) {
		t.Error("a worker with every label does not fit")
	}
	for k := range want {
		fewer := maps.Clone(want)
		delete(fewer, k)
		if s.fits(with(fewer)) {
			t.Errorf("a worker without label %q fits", k)
		}
		other := maps.Clone(want)
		other[k] += "!"
		if s.fits(with(other)) {
			t.Errorf("a worker with another value of %q fits", k)
		}
	}
	if !shapeOf(&store.Task{}).fits(with(nil)) {
		t.Error("a shape with no labels does not fit a worker with none")
	}
}

// A command's variable names are in its shape: a worker fits it only
// where its env policy lets them be, as the worker judges them
// (store.EnvPolicy); a handler's are data, and fit anywhere.
func TestShapeFitsTheEnvPolicy(t *testing.T) {
	open, strict, restricted := &slot{}, &slot{Env: store.EnvPolicy{AllowEnv: []string{"JOB_*"}}}, &slot{Env: store.EnvPolicy{Restricted: true}}
	for _, c := range []struct {
		env                      map[string]string
		handler                  string
		open, strict, restricted bool
	}{
		{nil, "", true, true, true},
		{map[string]string{"FOO": "1"}, "", true, false, true},
		{map[string]string{"JOB_ID": "1", "JOB_N": "2"}, "", true, true, true},
		{map[string]string{"JOB_ID": "1", "LD_PRELOAD": "x"}, "", true, false, false},
		{map[string]string{"DROVER_SLOT": "1", "JOB_ID": "1"}, "", true, true, true},
		{map[string]string{"PATH": "/x"}, "", true, false, false},
		{map[string]string{"FOO": "1", "PATH": "/x"}, "h", true, true, true},
	} {
		s := shapeOf(&store.Task{Env: c.env, Handler: c.handler, Cmd: []string{"true"}})
		if got := [3]bool{s.fits(open), s.fits(strict), s.fits(restricted)}; got != [3]bool{c.open, c.strict, c.restricted} {
			t.Errorf("env %v (handler %q): fits open, --allow-env JOB_*, --allow: %v, want %v", c.env, c.handler, got, [3]bool{c.open, c.strict, c.restricted})
		}
	}
	a, b := shapeOf(&store.Task{Env: map[string]string{"A": "1"}}), shapeOf(&store.Task{Env: map[string]string{"A": "2"}})
	if a != b || a == shapeOf(&store.Task{Env: map[string]string{"B": "1"}}) {
		t.Error("a shape holds a command's variable names, not their values")
	}
}

// A task can wait for a slot (be prefetched) unless it has a timeout or a
// starting deadline that binds it: a first attempt's, not a retry's.
func TestShapeWaits(t *testing.T) {
	by := time.Now().Add(time.Minute)
	for _, c := range []struct {
		task  store.Task
		waits bool
	}{
		{store.Task{Cmd: []string{"true"}}, true},
		{store.Task{Handler: "h"}, true},
		{store.Task{Cmd: []string{"true"}, Timeout: store.Millis(1000)}, false},
		{store.Task{Handler: "h", StartBy: by, Attempt: 1}, false},
		{store.Task{Cmd: []string{"true"}, StartBy: by}, false},
		{store.Task{Cmd: []string{"true"}, StartBy: by, Attempt: 2}, true},
		{store.Task{Handler: "h", StartBy: by, Attempt: 3, Timeout: store.Millis(1000)}, false},
	} {
		if got := shapeOf(&c.task).waits(); got != c.waits {
			t.Errorf("%+v: waits %v, want %v", c.task, got, c.waits)
		}
	}
}

// A registration read again with the same allow-list keeps the list
// compiled before (a read at each drain or change of the registration
// compiled it again); a changed list is compiled anew.
func TestSlotWithKeepsTheCompiledAllowList(t *testing.T) {
	info := &store.WorkerInfo{ID: "w", Capacity: 1, Allow: []string{"/usr/bin/*", "true"}}
	first := slotOf(info).Allow
	if again := slotWith(info, first).Allow; again != first {
		t.Errorf("the same list compiled again")
	}
	changed := &store.WorkerInfo{ID: "w", Capacity: 1, Allow: []string{"false"}}
	if got := slotWith(changed, first).Allow; got == first || !got.Allows("false") || got.Allows("true") {
		t.Errorf("a changed list kept %v, want [false]", got)
	}
	if got := slotWith(&store.WorkerInfo{ID: "w", Capacity: 1}, first).Allow; !got.Empty() {
		t.Errorf("a list dropped kept %v", got)
	}
}
