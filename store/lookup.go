package store

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Location says where a task's record was found.
type Location struct {
	Path string
	Stat Stat
}

// ErrUnknownTask means no record of a task exists anywhere.
var ErrUnknownTask = errors.New("no such task")

// ErrHiddenTask means a task was found nowhere this reader may look, while
// some worker's assignment directory is not readable with its credentials
// (made by a process without the read-only identity): it may be there.
var ErrHiddenTask = errors.New("not found where these credentials may read")

// HiddenCounts is how many znodes each worker's assignment directory of
// hidden (those ListAssignments could not list) holds, by its stat, which
// needs no read right: 0 for one gone, -1 when not known. Pipelined: a
// fleet's worth, not one round trip each.
func (s *Store) HiddenCounts(hidden []string) []int {
	counts := make([]int, len(hidden))
	Pipelined(len(hidden), func(i int) {
		counts[i] = -1
		if ok, st, err := s.Exists(s.layout.WorkerTasks(hidden[i])); err == nil {
			counts[i] = 0
			if ok {
				counts[i] = int(st.NumChildren)
			}
		}
	})
	return counts
}

// holding is the workers of hidden whose directories may hold anything
// (HiddenCounts not 0): an idle worker's hides no task.
func (s *Store) holding(hidden []string) []string {
	var out []string
	for i, n := range s.HiddenCounts(hidden) {
		if n != 0 {
			out = append(out, hidden[i])
		}
	}
	return out
}

// hiddenTaskErr is the error of a task found nowhere but, perhaps, in the
// worker directories hidden from this reader that hold assignments.
func hiddenTaskErr(id string, hidden []string) error {
	names := strings.Join(hidden, ", ")
	if len(hidden) > hiddenNamed {
		// A fleet started without the read-only identity: one line still.
		names = fmt.Sprintf("%s and %d more", strings.Join(hidden[:hiddenNamed], ", "), len(hidden)-hiddenNamed)
	}
	return fmt.Errorf("task %s: %w: the assignments of worker(s) %s are not readable with them (a worker started without DROVER_ZK_AUTH_READONLY) and may hold it",
		id, ErrHiddenTask, names)
}

// hiddenNamed is how many hidden workers hiddenTaskErr names.
const hiddenNamed = 5

// RecordError is the error of a task's record that was read and does not
// decode (Err wraps ErrMalformed or ErrUnsupportedVersion). It says where,
// and the stat read, so that the caller can move that very record aside
// (Quarantine at Stat.Version, after checking it still is the record read).
type RecordError struct {
	Task string
	Loc  Location
	Err  error
}

func (e *RecordError) Error() string {
	return fmt.Sprintf("task %s at %s: %v", e.Task, e.Loc.Path, e.Err)
}

func (e *RecordError) Unwrap() error { return e.Err }

// LookupTask finds a task by id: its result, else its queue item (both computed
// from the id), else its assignment (found by listing the workers' assignment
// directories, which hold only work in flight).
func (s *Store) LookupTask(id string) (*Task, Location, error) { return s.LookupTaskIn(id, nil) }

// Placed remembers where the last listing of every worker's assignments
// (made by LookupTaskIn) found each task, so that looking up many placed
// tasks in turn lists them once rather than once per task: drover cancel
// of 50 running tasks on a fleet of 500 workers made 25,000 listings. It is
// safe for concurrent use; the zero value is empty.
type Placed struct {
	mu sync.Mutex
	at map[string]AssignmentRef // task -> the assignment of its newest attempt
}

func (p *Placed) find(id string) (AssignmentRef, bool) {
	if p == nil {
		return AssignmentRef{}, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.at[id]
	return r, ok
}

func (p *Placed) set(refs []AssignmentRef) {
	if p == nil {
		return
	}
	at := make(map[string]AssignmentRef, len(refs))
	for _, r := range refs {
		if old, ok := at[r.Task]; !ok || r.Attempt > old.Attempt {
			at[r.Task] = r
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.at = at
}

// LookupTaskIn is LookupTask for one of many tasks looked up in turn. A
// task neither finished nor queued is first looked for where placed last
// saw it, and read there if its assignment is still there: an attempt's
// assignment is deleted in the same transaction that queues the task
// again or posts its result, before any later attempt is placed, so an
// assignment that exists is the task's current one. Otherwise the
// assignments are listed as LookupTask does, and placed remembers the
// listing. placed may be nil. A record found that does not decode is a
// *RecordError, with its location returned too.
//
// A task found nowhere may have moved between the reads (queued while its
// result was read, placed while its queue item was, finished while the
// workers were listed), so the reads are made again; but every move of a
// task creates or deletes its queue item or its result, which changes its
// queue or result bucket (see bucketMarks). When neither changed from
// before a listing that missed the task until after its result and queue
// item were read again and missed it too, the task stood still meanwhile,
// and was nowhere: it is unknown without listing every worker's
// assignments again (with 500 workers, each listing is some 500 requests).
func (s *Store) LookupTaskIn(id string, placed *Placed) (*Task, Location, error) {
	if err := ValidateTaskID(id); err != nil {
		return nil, Location{}, err
	}
	hint := true // placed is looked at before the first listing only
	// marks, when set, are the task's buckets as read just before the
	// last listing, which missed the task.
	var marks []bucketMark
	var hidden []string // the last listing's directories not readable here
	for try := 0; try < 3; try++ {
		// Both read at once; a result, when there is one, wins: it is final.
		for _, rd := range s.GetMany([]string{s.layout.Result(id), s.layout.QueueItem(id)}) {
			if errors.Is(rd.Err, ErrNoNode) {
				continue
			}
			if rd.Err != nil {
				return nil, Location{}, rd.Err
			}
			decode := DecodeResultOf
			if rd.Path != s.layout.Result(id) {
				decode = DecodeTaskOf
			}
			t, err := decode(id, rd.Data)
			if err != nil {
				loc := Location{Path: rd.Path, Stat: rd.Stat}
				return nil, loc, &RecordError{Task: id, Loc: loc, Err: err}
			}
			if rd.Path != s.layout.Result(id) {
				// A queue item is a queued task, whatever its record says
				// (the leader places it as one): one saying "succeeded" was
				// shown finished, and could not be cancelled.
				t.State = StateQueued
			}
			return t, Location{Path: rd.Path, Stat: rd.Stat}, nil
		}
		if marks != nil {
			same, err := s.bucketsStill(marks)
			if err != nil {
				return nil, Location{}, err
			}
			if same {
				break // it stood still, and was nowhere
			}
			marks = nil
		}
		var newest *AssignmentRef
		fromHint := false
		if r, ok := placed.find(id); ok && hint {
			newest, fromHint = &r, true
		} else {
			if try == 0 {
				// Before concluding from reads that missed: a server behind
				// the ensemble's leader may not have the write that made the
				// task yet (a submit through another server just before),
				// and the next try's reads see it after this.
				if err := s.Sync(s.layout.Root); err != nil {
					return nil, Location{}, err
				}
			}
			m, err := s.bucketMarks(id)
			if err != nil {
				return nil, Location{}, err
			}
			if testHookLookup != nil {
				testHookLookup("listing")
			}
			var assigned []AssignmentRef
			assigned, hidden, err = s.ListAssignments()
			if err != nil {
				return nil, Location{}, err
			}
			if testHookLookup != nil {
				testHookLookup("listed")
			}
			placed.set(assigned)
			for i := range assigned {
				a := &assigned[i]
				if a.Task == id && (newest == nil || a.Attempt > newest.Attempt) {
					newest = a
				}
			}
			if newest == nil {
				marks = m
			}
		}
		hint = false
		if newest != nil {
			data, st, err := s.Get(newest.Path)
			if errors.Is(err, ErrNoNode) {
				if fromHint {
					try-- // it moved on since placed saw it: list them
				}
				continue // it moved on while we looked
			}
			if err != nil {
				return nil, Location{}, err
			}
			t, err := DecodeTaskOf(id, data)
			if err != nil {
				loc := Location{Path: newest.Path, Stat: st}
				return nil, loc, &RecordError{Task: id, Loc: loc, Err: err}
			}
			return t, Location{Path: newest.Path, Stat: st}, nil
		}
		// Not found anywhere: it may have moved between reads; look once more.
	}
	if hidden = s.holding(hidden); len(hidden) > 0 {
		return nil, Location{}, hiddenTaskErr(id, hidden)
	}
	return nil, Location{}, fmt.Errorf("task %s: %w", id, ErrUnknownTask)
}

// testHookLookup, when set by a test, runs in LookupTaskIn just before
// ("listing") and just after ("listed") it lists the assignments.
var testHookLookup func(stage string)

// BucketMarks are the queue and result buckets of some tasks as
// MarkBuckets read them.
type BucketMarks struct{ marks []bucketMark }

// MarkBuckets reads the queue and result buckets of the tasks ids, so that
// BucketsStill can tell whether any of them moved since: a look for tasks
// that reads their places one after another, between the two, and misses
// one, missed it for good when none moved (see bucketMarks).
func (s *Store) MarkBuckets(ids ...string) (BucketMarks, error) {
	m, err := s.bucketMarks(ids...)
	return BucketMarks{marks: m}, err
}

// BucketsStill reports whether no task of the ids MarkBuckets marked in m
// has moved since.
func (s *Store) BucketsStill(m BucketMarks) (bool, error) { return s.bucketsStill(m.marks) }

// A bucketMark is one directory on the way down to a task's queue or result
// bucket as read: whether it existed, and which znode it was (czxid) with
// which children (pzxid, the zxid of the last child created or deleted).
type bucketMark struct {
	chain  int // marks of one chain share it, and come together
	path   string
	exists bool
	czxid  int64
	pzxid  int64
}

// bucketMarks reads, for the tasks ids, each one's queue bucket and result
// bucket (all in parallel), and for one that does not exist, the directory
// above it too, up to the queue or results directory. Every move of a task
// (submit, placement, report, requeue, cancel, retry, pruning) creates or
// deletes its queue item or its result: a bucket that exists has its pzxid
// moved by it, and one that does not must be made (its parent's pzxid
// moves) before an item is created in it. So when bucketsStill finds every
// mark as it was, no task of ids has moved between the two reads. A
// directory marked is read before those under it here, and after them
// there: a bucket made and removed again in between cannot go unseen.
func (s *Store) bucketMarks(ids ...string) ([]bucketMark, error) {
	var chains [][]string
	for _, id := range onePerBucket(ids) {
		b1, b2 := Bucket(id)
		chains = append(chains,
			[]string{s.layout.Queue(), s.layout.QueueBucket(b1, ""), s.layout.QueueBucket(b1, b2)},
			[]string{s.layout.Results(), s.layout.ResultBucket(b1, ""), s.layout.ResultBucket(b1, b2)})
	}
	out := make([][]bucketMark, len(chains))
	errs := make([]error, len(chains))
	Pipelined(len(chains), func(c int) { out[c], errs[c] = s.markChain(c, chains[c]) })
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return slices.Concat(out...), nil
}

// markChain marks the last of dirs (each under the one before), and when it
// does not exist, the chain above it first: the marks it returns end with
// one that does not exist, or begin with one that does, and each was read
// after those before it. The first directory, which Open makes, ends the
// chain in any case.
func (s *Store) markChain(chain int, dirs []string) ([]bucketMark, error) {
	read := func(p string) (bucketMark, error) {
		ok, st, err := s.Exists(p)
		return bucketMark{chain: chain, path: p, exists: ok, czxid: st.Czxid, pzxid: st.Pzxid}, err
	}
	last := dirs[len(dirs)-1]
	m, err := read(last)
	if err != nil || m.exists || len(dirs) == 1 {
		return []bucketMark{m}, err
	}
	above, err := s.markChain(chain, dirs[:len(dirs)-1])
	if err != nil || !above[len(above)-1].exists {
		return above, err // no parent: nothing under it
	}
	// Read again, after its parent.
	if m, err = read(last); err != nil || m.exists {
		return []bucketMark{m}, err
	}
	return append(above, m), nil
}

// bucketsStill reports whether the directories marks were read from are
// as they were, reading each chain from the bucket up (see bucketMarks),
// the chains in parallel.
func (s *Store) bucketsStill(marks []bucketMark) (bool, error) {
	var chains [][]bucketMark
	for i, m := range marks {
		if i == 0 || m.chain != marks[i-1].chain {
			chains = append(chains, nil)
		}
		chains[len(chains)-1] = append(chains[len(chains)-1], m)
	}
	same := make([]bool, len(chains))
	errs := make([]error, len(chains))
	Pipelined(len(chains), func(c int) {
		for i := len(chains[c]) - 1; i >= 0; i-- {
			m := chains[c][i]
			ok, st, err := s.Exists(m.path)
			if err != nil {
				errs[c] = err
				return
			}
			if ok != m.exists || st.Czxid != m.czxid || st.Pzxid != m.pzxid {
				return
			}
		}
		same[c] = true
	})
	if err := errors.Join(errs...); err != nil {
		return false, err
	}
	return !slices.Contains(same, false), nil
}

// AssignmentRef names one assignment znode.
type AssignmentRef struct {
	Worker  string
	Task    string
	Attempt int
	Path    string
}

// Assignments lists every assignment of every worker directory under tasks/,
// the directories pipelined (ChildrenMany). Names that do not parse are
// skipped, and so are the directories ZooKeeper's ACLs keep from this
// reader (see ListAssignments).
func (s *Store) Assignments() ([]AssignmentRef, error) {
	refs, _, err := s.ListAssignments()
	return refs, err
}

// ListAssignments is Assignments naming the workers whose directories
// ZooKeeper's ACLs keep from this reader (made by a process without the
// read-only identity) in hidden: a listing says that some are not shown,
// and a look-up that finds a task nowhere else does not call it unknown.
func (s *Store) ListAssignments() (refs []AssignmentRef, hidden []string, err error) {
	workers, err := s.Children(s.layout.Tasks())
	if err != nil {
		return nil, nil, err
	}
	sort.Strings(workers)
	dirs := make([]string, len(workers))
	for i, w := range workers {
		dirs[i] = s.layout.WorkerTasks(w)
	}
	var out []AssignmentRef
	for i, l := range s.ChildrenMany(dirs) {
		w := workers[i]
		if errors.Is(l.Err, ErrNoNode) {
			continue
		}
		if errors.Is(l.Err, ErrNoAuth) {
			hidden = append(hidden, w)
			continue
		}
		if l.Err != nil {
			return nil, nil, l.Err
		}
		for _, k := range l.Names {
			task, attempt, err := ParseAssignmentName(k)
			if err != nil {
				continue
			}
			out = append(out, AssignmentRef{Worker: w, Task: task, Attempt: attempt, Path: s.layout.WorkerTasks(w) + "/" + k})
		}
	}
	return out, hidden, nil
}

// DecodeTaskOf decodes the record of task id, refusing a record of another
// task (copied there by hand, say), which would otherwise stand in for it.
func DecodeTaskOf(id string, data []byte) (*Task, error) {
	t, err := DecodeTask(data)
	if err != nil {
		return nil, err
	}
	if t.ID != id {
		return nil, fmt.Errorf("%w: the record of task %s holds task %s", ErrMalformed, id, t.ID)
	}
	return t, nil
}

// DecodeResultOf decodes the result record of task id, as DecodeTaskOf,
// refusing one whose state is not a finished one: a result saying
// "running" (written by hand, or by another program) was taken for the
// task's outcome, and wait returned at once.
func DecodeResultOf(id string, data []byte) (*Task, error) {
	t, err := DecodeTaskOf(id, data)
	if err != nil {
		return nil, err
	}
	if !t.State.Terminal() {
		return nil, fmt.Errorf("%w: the result of task %s is in state %q, not a finished one", ErrMalformed, id, t.State)
	}
	return t, nil
}
