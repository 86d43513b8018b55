package store

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"
	"sync"
	"time"
)

// WaitResult blocks until the task's result exists and returns it. A
// result that does not decode is a *RecordError. It is WaitResultIn with
// no Placed.
func (s *Store) WaitResult(ctx context.Context, id string) (*Task, error) {
	return s.WaitResultIn(ctx, id, nil)
}

// WaitResultIn is WaitResult for a caller that keeps a Placed (see
// LookupTaskIn). It watches the task's result only; while none comes, it
// looks the task up (LookupTaskIn) once every waitRecheck, so that a task
// whose record vanished meanwhile (moved to deadletter as malformed,
// deleted by hand) fails the wait with ErrUnknownTask (see vanished)
// instead of being waited for for ever. A record that look-up finds and
// cannot decode is a *RecordError too.
func (s *Store) WaitResultIn(ctx context.Context, id string, placed *Placed) (*Task, error) {
	p := s.layout.Result(id)
	every := waitRecheck
	recheck := time.NewTimer(every)
	defer recheck.Stop()
	for {
		ok, _, ev, err := s.ExistsW(p)
		if err != nil && !transient(err) {
			return nil, err
		}
		if ok {
			if testHookResultSeen != nil {
				testHookResultSeen()
			}
			data, st, err := s.Get(p)
			if transient(err) { // wait for a session, then look again
				if _, err := s.CurrentSession(ctx); err != nil {
					return nil, err
				}
				continue
			}
			if errors.Is(err, ErrNoNode) {
				// Gone between the exists and the read: retried (queued
				// again) or pruned. Look again, as WaitResults does for a
				// result listed and gone: a retried task's next result
				// comes, one pruned is found nowhere at the next look.
				continue
			}
			if err != nil {
				return nil, err
			}
			t, err := DecodeResultOf(id, data)
			if err != nil {
				return nil, &RecordError{Task: id, Loc: Location{Path: p, Stat: st}, Err: err}
			}
			return t, nil
		}
		if err != nil { // connection or session lost: wait for a session, then look again
			if _, err := s.CurrentSession(ctx); err != nil {
				return nil, err
			}
			continue
		}
	watch:
		for {
			select {
			case <-ev:
				break watch
			case <-recheck.C:
				t, loc, err := s.LookupTaskIn(id, placed)
				switch {
				case err == nil && loc.Path == p:
					return t, nil // it came as we looked
				case errors.Is(err, ErrUnknownTask):
					return nil, vanished(id)
				case err != nil && !transient(err):
					return nil, err
				}
				// Queued or placed still, or the look-up was cut short:
				// look again after another interval.
				if err == nil && testHookRecheck != nil {
					testHookRecheck()
				}
				recheck.Reset(every)
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
	}
}

// waitRecheck is how long a wait goes without a result before it looks
// whether the tasks it waits for are still queued, placed or finished (see
// WaitResultIn and WaitResults); tests lower it. A wait whose results come
// sooner makes no request for it.
var waitRecheck = time.Minute

// testHookRecheck, when set by a test, runs after each look of a wait
// (waitRecheck) that found its tasks still there.
var testHookRecheck func()

// testHookResultSeen, when set by a test, runs in WaitResultIn when its
// exists found the result, before it reads it.
var testHookResultSeen func()

// vanished is the error of a task that a wait, looking again after
// waitRecheck, found in no place.
func vanished(id string) error {
	return fmt.Errorf("task %s: %w: it is no longer queued, placed or finished "+
		"(a record that does not decode is moved to deadletter: see drover deadletter ls)", id, ErrUnknownTask)
}

// transient reports whether err only says that the connection was lost:
// a wait's look (waitRecheck) is then made again later, as the wait
// itself outlasts a lost connection.
func transient(err error) bool {
	return errors.Is(err, ErrConnection) || errors.Is(err, ErrSessionExpired)
}

// WaitResults waits until every task in ids has its result and calls done
// with each result as it is read, from the calling goroutine. It watches the
// tasks' result buckets rather than each task: waiting for n tasks costs one
// read per task plus one listing per change of their buckets, where a watch
// per task would cost several requests each. A task with no record anywhere
// fails the call with ErrUnknownTask (it would otherwise be waited for
// forever), at the start or, for one whose record vanished since, when the
// tasks still pending are looked for again: once waitRecheck has passed
// without a result, and every waitRecheck after, with one listing of the
// assignments for all of them (two when one is found nowhere; see
// checkKnown). A result that does not decode
// fails it with a *RecordError; the results read before it were passed to
// done.
func (s *Store) WaitResults(ctx context.Context, ids []string, done func(*Task)) error {
	pending := map[string]map[string]bool{} // result bucket -> ids not finished
	for _, id := range ids {
		if err := ValidateTaskID(id); err != nil {
			return err
		}
		dir := path.Dir(s.layout.Result(id))
		if pending[dir] == nil {
			pending[dir] = map[string]bool{}
		}
		pending[dir][id] = true
	}
	// collect reads the results listed in buckets (names[i] listed in
	// dirs[i]), pipelined, and drops them from pending; collected counts
	// them.
	collected := 0
	collect := func(dirs []string, names [][]string) error {
		var paths []string
		for i, dir := range dirs {
			for _, n := range names[i] {
				if pending[dir][n] {
					paths = append(paths, dir+"/"+n)
				}
			}
		}
		// A result that does not decode fails the wait once the others
		// read with it are passed on.
		var bad error
		for len(paths) > 0 && bad == nil {
			// At most waitReads results at once: many buckets of many
			// tasks would otherwise all be held together.
			chunk := paths[:min(len(paths), waitReads)]
			paths = paths[len(chunk):]
			for _, r := range s.GetMany(chunk) {
				if errors.Is(r.Err, ErrNoNode) {
					// Listed, gone before its read: retried (queued again)
					// or pruned. It stays pending: a retried task's next
					// result comes to its bucket, and one pruned is found
					// nowhere at the next look.
					continue
				}
				if r.Err != nil {
					return r.Err
				}
				dir, id := path.Dir(r.Path), path.Base(r.Path)
				t, err := DecodeResultOf(id, r.Data)
				if err != nil {
					if bad == nil {
						bad = &RecordError{Task: id, Loc: Location{Path: r.Path, Stat: r.Stat}, Err: err}
					}
					continue
				}
				delete(pending[dir], id)
				collected++
				done(t)
			}
		}
		if bad != nil {
			return bad
		}
		for _, dir := range dirs {
			if len(pending[dir]) == 0 {
				delete(pending, dir)
			}
		}
		return nil
	}
	// One watch per bucket, each firing relists only its bucket. Setting
	// them lists each bucket once: that listing also collects the results
	// already there, before checkKnown looks for the others.
	fired := make(chan string, len(pending))
	// armed holds the buckets whose watch a goroutine waits on, until it
	// reports the bucket on fired: a listing made again after a lost
	// connection (again, below) sets no second one for a bucket listed
	// before the loss, which would list it twice at each change after.
	armed := map[string]bool{}
	wctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	// list lists dir and sets a watch on it.
	list := func(dir string) ([]string, <-chan Event, error) {
		for {
			names, _, ev, err := s.ListW(dir)
			if errors.Is(err, ErrNoNode) { // the bucket is made at submit; wait for it
				var ok bool
				ok, _, ev, err = s.ExistsW(dir)
				if err == nil && ok {
					continue
				}
			}
			if transient(err) { // wait for a session, then list again
				if _, err := s.CurrentSession(ctx); err != nil {
					return nil, nil, err
				}
				continue
			}
			return names, ev, err
		}
	}
	// watch lists buckets with their watches and collects their results,
	// waitBuckets buckets at a time, pipelined: one at a time, results that
	// trickled in over hours (a bucket or two each) cost two round trips
	// apiece. A bucket with tasks left is listed again when its watch fires.
	watch := func(dirs []string) error {
		for len(dirs) > 0 {
			chunk := dirs[:min(len(dirs), waitBuckets)]
			dirs = dirs[len(chunk):]
			names := make([][]string, len(chunk))
			evs := make([]<-chan Event, len(chunk))
			errs := make([]error, len(chunk))
			Pipelined(len(chunk), func(i int) { names[i], evs[i], errs[i] = list(chunk[i]) })
			for _, err := range errs {
				if err != nil {
					return err
				}
			}
			if err := collect(chunk, names); err != nil {
				return err
			}
			for i, dir := range chunk {
				if pending[dir] == nil || armed[dir] {
					continue
				}
				armed[dir] = true
				// Relist a bucket at most every relistEvery: a busy bucket
				// changes with every result, and each listing costs its size.
				ev := evs[i]
				next := time.NewTimer(relistEvery)
				wg.Add(1)
				s.waitWatches.Add(1)
				go func() {
					defer wg.Done()
					defer s.waitWatches.Add(-1)
					defer next.Stop()
					select {
					case <-ev:
					case <-wctx.Done():
						return
					}
					select {
					case <-next.C:
						fired <- dir
					case <-wctx.Done():
					}
				}()
			}
		}
		return nil
	}
	// again runs f, and runs it again once a session is back each time
	// it fails for a lost connection or session alone: a wait outlives
	// those (it failed when one cut a read of results short).
	again := func(f func() error) error {
		for {
			err := f()
			if !transient(err) {
				return err
			}
			if _, err := s.CurrentSession(ctx); err != nil {
				return err
			}
		}
	}
	// watchPending is watch of the buckets of dirs still waited for.
	watchPending := func(dirs []string) error {
		return again(func() error {
			return watch(slices.DeleteFunc(dirs, func(dir string) bool { return pending[dir] == nil }))
		})
	}
	// Oldest bucket first, so that a wait over many lists them in one order.
	dirs := slices.Sorted(maps.Keys(pending))
	if err := watchPending(dirs); err != nil {
		return err
	}
	if err := again(func() error { return s.checkKnown(pending, collect, unknownTask) }); err != nil {
		return err
	}
	// While results do not come, the tasks still pending are looked for
	// again once every waitRecheck: one whose record vanished since
	// (moved to deadletter, deleted by hand) would be waited for for ever.
	every := waitRecheck
	recheck := time.NewTimer(every)
	defer recheck.Stop()
	for len(pending) > 0 {
		select {
		case <-recheck.C:
			err := s.checkKnown(pending, collect, vanished)
			if err != nil && !transient(err) {
				return err
			}
			if err == nil && testHookRecheck != nil {
				testHookRecheck()
			}
			recheck.Reset(every)
		case dir := <-fired:
			// Relist, together, the buckets whose watches fired meanwhile.
			delete(armed, dir)
			dirs := []string{dir}
			for more := true; more; {
				select {
				case dir := <-fired:
					delete(armed, dir)
					dirs = append(dirs, dir)
				default:
					more = false
				}
			}
			before := collected
			if err := watchPending(dirs); err != nil {
				return err
			}
			if collected > before {
				// Results came: the next look is due a waitRecheck after
				// the last of them. A look reads every pending task's
				// queue bucket and lists every worker's assignments;
				// made once a minute regardless, it cost a wait -f of
				// 100,000 tasks that for as long as results trickled in.
				recheck.Reset(every)
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// waitBuckets is how many result buckets WaitResults lists at once,
// pipelined (tests lower it), and waitReads the most results it reads at
// once.
var waitBuckets = 64

const waitReads = 1024

// relistEvery bounds how often WaitResults lists one result bucket.
const relistEvery = 100 * time.Millisecond

// checkKnown makes sure every pending task (whose result was not listed
// yet) has been seen queued, placed or finished: it lists each task's queue
// bucket and the assignments once per try, and from the second try the
// result buckets again (the caller listed them, and lists again those
// whose watches fire). A task seen
// anywhere once is known: tasks move on while the places are read one after
// another. The buckets are listed waitBuckets at a time, pipelined. Tasks
// unseen after a second try whose buckets have not changed since just
// before its listing of the assignments are unknown without a third (see
// LookupTaskIn). An unknown task fails it with unknownErr of its id.
func (s *Store) checkKnown(pending map[string]map[string]bool, collect func(dirs []string, names [][]string) error, unknownErr func(id string) error) error {
	unseen := map[string]bool{}
	for _, want := range pending {
		for id := range want {
			unseen[id] = true
		}
	}
	seen := func(l Kids) error {
		if l.Err != nil && !errors.Is(l.Err, ErrNoNode) {
			return l.Err
		}
		for _, n := range l.Names {
			delete(unseen, n)
		}
		return nil
	}
	// marks, when set, are the buckets of the tasks unseen before the
	// last listing of the assignments, read just before it (bucketMarks).
	var marks []bucketMark
	var hidden []string // the last listing's worker directories not readable here
	for try := 0; ; try++ {
		dirs := make([]string, 0, len(pending))
		for dir := range pending {
			dirs = append(dirs, dir)
		}
		for len(dirs) > 0 {
			chunk := dirs[:min(len(dirs), waitBuckets)]
			dirs = dirs[len(chunk):]
			if try > 0 {
				names := make([][]string, len(chunk))
				for i, l := range s.ChildrenMany(chunk) {
					if err := seen(l); err != nil {
						return err
					}
					names[i] = l.Names
				}
				if err := collect(chunk, names); err != nil {
					return err
				}
			}
			var queues []string
			for _, dir := range chunk {
				for id := range pending[dir] { // a result bucket's tasks share a queue bucket
					queues = append(queues, path.Dir(s.layout.QueueItem(id)))
					break
				}
			}
			for _, l := range s.ChildrenMany(queues) {
				if err := seen(l); err != nil {
					return err
				}
			}
		}
		if len(unseen) == 0 {
			return nil
		}
		unknown := func() error {
			ids := make([]string, 0, len(unseen))
			for id := range unseen {
				ids = append(ids, id)
			}
			if held := s.holding(hidden); len(held) > 0 {
				return hiddenTaskErr(slices.Min(ids), held) // it may be there
			}
			return unknownErr(slices.Min(ids)) // the same one every time
		}
		if marks != nil {
			still, err := s.bucketsStill(marks)
			if err != nil {
				return err
			}
			if still {
				// Not one moved since before the last listing of the
				// assignments, which did not show them: not tasks.
				return unknown()
			}
			marks = nil
		}
		if try == 0 {
			// As LookupTaskIn: a server behind the ensemble's leader may
			// not have the writes that made the tasks yet; the next try's
			// listings see them after this.
			if err := s.Sync(s.layout.Root); err != nil {
				return err
			}
		}
		if try == 1 {
			// Before a second listing, of every worker's assignments:
			// the tasks still unseen after it are unknown without a
			// third, if their buckets show they did not move.
			ids := make([]string, 0, len(unseen))
			for id := range unseen {
				ids = append(ids, id)
			}
			var err error
			if marks, err = s.bucketMarks(ids...); err != nil {
				return err
			}
		}
		if testHookCheckKnown != nil {
			testHookCheckKnown("listing")
		}
		var refs []AssignmentRef
		var err error
		refs, hidden, err = s.ListAssignments()
		if err != nil {
			return err
		}
		if testHookCheckKnown != nil {
			testHookCheckKnown("listed")
		}
		for _, r := range refs {
			delete(unseen, r.Task)
		}
		if len(unseen) == 0 {
			return nil
		}
		if try == 2 {
			return unknown() // seen nowhere three times over: not a task
		}
	}
}

// unknownTask is the error of a task found in no place at the start of a
// wait.
func unknownTask(id string) error { return fmt.Errorf("task %s: %w", id, ErrUnknownTask) }

// testHookCheckKnown, when set by a test, runs in checkKnown just before
// ("listing") and just after ("listed") it lists the assignments.
var testHookCheckKnown func(stage string)
