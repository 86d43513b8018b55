package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
	"golang.org/x/sync/errgroup"
)

// Versions of a queue item as created: by Submit, and by Enqueue (every other
// way into the queue) of a task of generation 0 (Task.Gen; EnqueuedVersionOf).
// A copy of a submitted item in a queue manifest is valid only at
// SubmittedVersion (see Enqueue).
const (
	SubmittedVersion int32 = 0
	EnqueuedVersion  int32 = 1
)

// MaxGen bounds Task.Gen: each generation costs an empty write in the
// transaction that queues the task (see Enqueue).
const MaxGen = 1000

// EnqueuedVersionOf is the version at which Enqueue creates task's item.
func EnqueuedVersionOf(task *Task) int32 { return EnqueuedVersion + int32(task.Gen) }

// Enqueue adds the creation of t's queue item. The bucket directories must exist
// (see EnsureBuckets; CommitCreatingBuckets makes them when they are not).
func (t *Txn) Enqueue(task *Task) error {
	task.State = StateQueued
	task.Worker, task.Reg, task.Epoch, task.AssignedAt, task.StartedAt = "", 0, 0, time.Time{}, time.Time{}
	if task.Gen < 0 || task.Gen > MaxGen {
		return fmt.Errorf("enqueue %s: queued again %d times without running, at most %d: submit it anew", task.ID, task.Gen, MaxGen)
	}
	data, err := Encode(task)
	if err != nil {
		return fmt.Errorf("enqueue %s: %w", task.ID, err)
	}
	// Created empty and written in the same transaction: a queue item at
	// version 0 is one Submit wrote, whose copy a queue manifest may hold. A
	// leader that places from such a copy deletes the item at version 0, so
	// a copy outlived by a re-queued item (version 1 or more) can never be
	// placed. Each generation takes the item one version further (empty
	// writes first: the transaction is atomic, so no reader sees them).
	p := t.s.layout.QueueItem(task.ID)
	t.Create(p, nil)
	last := EnqueuedVersionOf(task) - 1
	for v := int32(0); v < last; v++ {
		t.Set(p, nil, v)
	}
	t.Set(p, data, last)
	if task.Gen > 0 {
		// The leader knows a queue item by its name: tell it that this
		// one is new, so that it reads it instead of keeping the record
		// it holds (DecodeQueueManifest).
		b1, b2 := Bucket(task.ID)
		t.Create(t.s.layout.QueueBucket(b1, b2)+"/"+newManifestName(), encodeRequeued(task.ID))
	}
	return nil
}

// Assign adds the creation of the assignment of task.Attempt on task.Worker.
func (t *Txn) Assign(task *Task) error {
	_, err := t.assign(task)
	return err
}

func (t *Txn) assign(task *Task) ([]byte, error) {
	task.State = StateAssigned
	data, err := Encode(task)
	if err != nil {
		return nil, fmt.Errorf("assign %s: %w", task.ID, err)
	}
	t.Create(t.s.layout.Assignment(task.Worker, task.ID, task.Attempt), data)
	return data, nil
}

// Manifest bounds: a record larger than maxManifestRecord is left out (its
// worker reads the assignment itself), so a manifest at most doubles the
// bytes of the small records of a transaction.
const (
	maxManifestRecord = 8 * 1024
	maxManifestBytes  = 128 * 1024
)

// AssignBatch adds the creation of each task's assignment, as Assign, and for
// each worker given two or more, a manifest next to them: one znode holding a
// copy of those assignments as created, so the worker reads one znode instead
// of one per assignment. The assignments stay the truth; a manifest is only a
// cheaper way to read what they held when this transaction created them.
//
// Worker lone (none when ""), if it gets exactly one assignment, gets its
// copy as the data of its assignment directory instead (see WorkerDirCopy):
// an idle worker reads that data along with its listing, which saves it a
// round trip before the start.
func (t *Txn) AssignBatch(tasks []*Task, lone string) error {
	loneDir := t.s.layout.WorkerTasks(lone)
	mb := manifests{lone: func(dir string) bool { return lone != "" && dir == loneDir }}
	for _, task := range tasks {
		data, err := t.assign(task)
		if err != nil {
			return err
		}
		dir := t.s.layout.WorkerTasks(task.Worker)
		mb.add(dir, func() string { return ManifestName(AssignmentName(task.ID, task.Attempt)) }, data)
	}
	mb.create(t)
	return nil
}

// A DirCopy is the copy of a record that a directory holds as its own data
// (see AssignBatch and Submit), read on its own: it is only as good as the
// listing it goes with (For).
type DirCopy struct {
	task *Task
	zxid int64 // of the transaction that wrote it
}

// For returns the copy if listing is the directory's listing as that copy's
// transaction left it (the listing's pzxid is the data's mzxid), else nil.
// The record it names is then listed if and only if it exists as that
// transaction created it: not deleted since, nor created again under the
// same name (a task queued again after a failed attempt).
func (c DirCopy) For(listing Stat) *Task {
	if c.task == nil || c.zxid != listing.Pzxid {
		return nil
	}
	return c.task
}

// WorkerDirCopy reads the copy of an assignment that a worker's assignment
// directory holds as its data (AssignBatch).
func (s *Store) WorkerDirCopy(worker string) (DirCopy, error) {
	return s.dirCopy(s.layout.WorkerTasks(worker), func(t *Task) bool { return t.Worker == worker })
}

// QueueBucketCopy reads the copy of a submitted task that a queue bucket
// holds as its data (Submit): the queue item as submitted
// (SubmittedVersion).
func (s *Store) QueueBucketCopy(b1, b2 string) (DirCopy, error) {
	dir := s.layout.QueueBucket(b1, b2)
	return s.dirCopy(dir, func(t *Task) bool { return s.layout.QueueItem(t.ID) == dir+"/"+t.ID })
}

// dirCopy reads the copy that dir holds as its data. Data that is no copy
// belonging there is moved to deadletter (dir's data emptied) and reported
// as ErrMalformed.
func (s *Store) dirCopy(dir string, belongs func(*Task) bool) (DirCopy, error) {
	data, stat, err := s.Get(dir)
	if err != nil || len(data) == 0 {
		return DirCopy{}, err
	}
	task, err := DecodeTask(data)
	if err == nil && !belongs(task) {
		err = fmt.Errorf("%w: a copy of task %s does not belong here", ErrMalformed, task.ID)
	}
	if err != nil {
		err = fmt.Errorf("copy in %s: %w", dir, err)
		if qerr := s.quarantine(dir, data, stat.Version, err, func(txn *Txn) { txn.Set(dir, nil, stat.Version) }); qerr != nil {
			return DirCopy{}, fmt.Errorf("%w (%v)", err, qerr)
		}
		return DirCopy{}, err
	}
	return DirCopy{task: task, zxid: stat.Mzxid}, nil
}

// manifests gathers the small records of one transaction by directory, for
// a manifest in each directory that gets two or more.
type manifests struct {
	order  []string
	byDir  map[string]*manifest
	budget int
	// lone, when set, says which directories given a single record get it
	// as their own data instead (see AssignBatch and Submit).
	lone func(dir string) bool
}

type manifest struct {
	name string
	recs [][]byte
}

// add copies data into dir's manifest, named by name() when it is the first;
// records too large, or beyond maxManifestBytes in all, are left out.
func (m *manifests) add(dir string, name func() string, data []byte) {
	if len(data) > maxManifestRecord || m.budget+len(data) > maxManifestBytes {
		return
	}
	if m.byDir == nil {
		m.byDir = map[string]*manifest{}
	}
	mf := m.byDir[dir]
	if mf == nil {
		mf = &manifest{name: name()}
		m.byDir[dir] = mf
		m.order = append(m.order, dir)
	}
	mf.recs = append(mf.recs, data)
	m.budget += len(data)
}

// create adds the creation of each manifest of two or more records to txn,
// and the copy of a lone record as its directory's data where lone says so.
func (m *manifests) create(txn *Txn) {
	for _, dir := range m.order {
		switch mf := m.byDir[dir]; {
		case len(mf.recs) >= 2:
			txn.Create(dir+"/"+mf.name, encodeManifest(mf.recs))
		case m.lone != nil && m.lone(dir):
			txn.Set(dir, mf.recs[0], -1)
		}
	}
}

// newManifestName names a queue manifest: unique whatever ids it copies
// (a submit retried after a lost reply writes the same ids again).
func newManifestName() string { return ManifestName(ulid.Make().String()) }

// encodeManifest joins encoded task records into {"v":1,"tasks":[...]}
// without encoding them again.
func encodeManifest(recs [][]byte) []byte {
	n := 32
	for _, r := range recs {
		n += len(r) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, `{"v":`...)
	b = strconv.AppendInt(b, FormatVersion, 10)
	b = append(b, `,"tasks":[`...)
	for i, r := range recs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, r...)
	}
	return append(b, "]}"...)
}

// DecodeManifest decodes a manifest written by AssignBatch into the records it
// copies; each is checked as DecodeTask checks an assignment.
func DecodeManifest(data []byte) ([]*Task, error) {
	tasks, _, err := DecodeQueueManifest(data)
	return tasks, err
}

// DecodeQueueManifest decodes a manifest in a queue bucket: the records a
// submit copied (as DecodeManifest), and the ids of tasks that Enqueue
// queued again in a later generation (Task.Gen), whose items a leader must
// read anew even if it knows them. A leader of an earlier release reads
// the latter as a manifest that copies nothing.
func DecodeQueueManifest(data []byte) (tasks []*Task, requeued []string, err error) {
	// One pass over the whole manifest: it is read on the hot path.
	var m struct {
		V        *int     `json:"v"`
		Tasks    []*Task  `json:"tasks"`
		Requeued []string `json:"requeued"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, nil, fmt.Errorf("manifest: %w: %v", ErrMalformed, err)
	}
	if err := checkVersion(m.V); err != nil {
		return nil, nil, fmt.Errorf("manifest: %w", err)
	}
	for _, t := range m.Tasks {
		if t == nil {
			return nil, nil, fmt.Errorf("manifest: %w: null record", ErrMalformed)
		}
		if err := checkDecoded(t); err != nil {
			return nil, nil, fmt.Errorf("manifest: %w", err)
		}
	}
	for _, id := range m.Requeued {
		if err := ValidateTaskID(id); err != nil {
			return nil, nil, fmt.Errorf("manifest: %w: %v", ErrMalformed, err)
		}
	}
	return m.Tasks, m.Requeued, nil
}

// encodeRequeued makes the manifest that tells a leader task id was queued
// again (see Enqueue): it copies no record, so a leader of any release
// reads the item itself.
func encodeRequeued(id string) []byte {
	data, _ := json.Marshal(struct {
		V        int      `json:"v"`
		Tasks    []*Task  `json:"tasks"`
		Requeued []string `json:"requeued"`
	}{FormatVersion, []*Task{}, []string{id}})
	return data
}

// Finish adds the creation of t's result record; task.State must be terminal.
// Only one result can ever exist per task: a second Finish fails the transaction
// with ErrNodeExists.
func (t *Txn) Finish(task *Task) error {
	data, err := Encode(task)
	if err != nil {
		return fmt.Errorf("finish %s: %w", task.ID, err)
	}
	return t.FinishEncoded(task, data)
}

// FinishEncoded is Finish for a task its caller has encoded already (data is
// Encode(task)), so a record is not encoded twice on the hot path.
func (t *Txn) FinishEncoded(task *Task, data []byte) error {
	if !task.State.Terminal() {
		return fmt.Errorf("finish %s: state %q is not terminal", task.ID, task.State)
	}
	t.Create(t.s.layout.Result(task.ID), data)
	if b1, b2 := Bucket(task.ID); task.FinishedAt.Sub(BucketEnd(b1, b2)) > LateResult {
		// Retention ages a bucket by its tasks' submit time, which would
		// prune a result that comes days later (a long backoff, a task
		// waiting for a worker with its labels) within a minute. Such a
		// result marks its bucket (the mark's mtime is when the last one
		// came), and retention counts from the mark. It also marks the
		// first-level bucket, whose count of results the leader keeps
		// between passes while nothing under it changes (a backlog drained
		// lands late, mostly in buckets that exist). Results on time, the
		// common case, write nothing more.
		for _, dir := range []string{t.s.layout.ResultBucket(b1, b2), t.s.layout.ResultBucket(b1, "")} {
			if _, ok := t.marked[dir]; !ok && !t.s.marks.recent(dir, task.FinishedAt) {
				t.noteMark(dir, task.FinishedAt)
				t.Set(dir, []byte(task.FinishedAt.UTC().Format(time.RFC3339)), -1)
			}
		}
	}
	return nil
}

// Unfinish adds the deletion of task id's result at version (a retry queues
// the task again), and a write of the result's first-level bucket: the leader
// keeps the count of results under a settled first-level bucket between
// passes of retention, and learns from that write that it no longer stands
// (a count too high would prune results to keep).
func (t *Txn) Unfinish(id string, version int32) {
	t.Delete(t.s.layout.Result(id), version)
	b1, _ := Bucket(id)
	t.Set(t.s.layout.ResultBucket(b1, ""), []byte(time.Now().UTC().Format(time.RFC3339)), -1)
}

// lateMarks remembers when this store last marked each result bucket, so
// that a stream of late results (a deep backlog drained) marks a bucket
// about once a LateResult instead of in every transaction: retention then
// counts from up to LateResult before the last late result.
type lateMarks struct {
	mu sync.Mutex
	at map[string]time.Time // bucket -> finish time of the result it was marked for
}

// recent reports whether dir was marked for a result that finished less
// than LateResult before at.
func (m *lateMarks) recent(dir string, at time.Time) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	last, ok := m.at[dir]
	return ok && at.Sub(last) < LateResult
}

// committed records the marks of a committed transaction and forgets the
// marks too old to matter.
func (m *lateMarks) committed(marked map[string]lateMark) {
	if len(marked) == 0 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.at == nil {
		m.at = map[string]time.Time{}
	}
	newest := time.Time{}
	for dir, mk := range marked {
		at := mk.at
		if at.After(m.at[dir]) {
			m.at[dir] = at
		}
		if at.After(newest) {
			newest = at
		}
	}
	for dir, at := range m.at {
		if newest.Sub(at) > 2*LateResult {
			delete(m.at, dir)
		}
	}
}

// LateResult is how long after its bucket's window ends a result must come
// to mark the bucket as holding a late result (see FinishEncoded).
const LateResult = time.Minute

// EnsureBuckets creates the queue and result bucket directories of a task id.
func (s *Store) EnsureBuckets(id string) error { return s.ensureBuckets(id, "") }

// EnsureBucketsFenced is EnsureBuckets for a leader: each create also
// checks fence, the leader's election znode (see EnsurePathFenced).
func (s *Store) EnsureBucketsFenced(id, fence string) error { return s.ensureBuckets(id, fence) }

func (s *Store) ensureBuckets(id, fence string) error {
	b1, b2 := Bucket(id)
	for _, dir := range []string{
		s.layout.Queue() + "/" + b1, s.layout.QueueBucket(b1, b2),
		s.layout.Results() + "/" + b1, s.layout.ResultBucket(b1, b2),
	} {
		if err := s.createFenced(dir, fence); err != nil && !errors.Is(err, ErrNodeExists) {
			return err
		}
	}
	return nil
}

// CommitCreatingBuckets commits a transaction built by build, creating missing
// bucket directories of ids and rebuilding when a create found no parent. Bucket
// directories are deleted when empty, so a parent can vanish between tries.
func (s *Store) CommitCreatingBuckets(ids []string, build func(*Txn) error) error {
	var err error
	for try := 0; try < 5; try++ {
		txn := s.Txn()
		if err = build(txn); err != nil {
			return err
		}
		err = txn.Commit()
		if err == nil || !errors.Is(err, ErrNoNode) || errors.Is(err, ErrFenced) {
			return err
		}
		var oe *OpError
		if errors.As(err, &oe) && (!txn.creates(oe.Index) ||
			!strings.HasPrefix(oe.Path, s.layout.Queue()+"/") && !strings.HasPrefix(oe.Path, s.layout.Results()+"/")) {
			// Not a create under a bucket (a queue item to delete that is
			// gone meanwhile): the caller's condition.
			return err
		}
		seen := map[string]bool{}
		for _, id := range ids {
			b1, b2 := Bucket(id)
			if seen[b1+b2] {
				continue
			}
			seen[b1+b2] = true
			// A parent just created can be removed again by a leader tidying
			// empty buckets: that is one more try, not a failure. A leader's
			// transaction makes them fenced as it is.
			if err := s.ensureBuckets(id, txn.fence); err != nil && !errors.Is(err, ErrNoNode) {
				return err
			}
		}
	}
	return err
}

// SubmitResult is the outcome of one submitted task.
type SubmitResult struct {
	ID string
	// Existing is true when an idempotency key (or a deterministic id) matched a
	// task submitted before; ID is then that task's id.
	Existing bool
}

// maxTxnBytes keeps one multi well inside jute.maxbuffer.
const maxTxnBytes = 512 * 1024

// MaxBatch is the most tasks one transaction carries.
const MaxBatch = 100

// Submit writes queued tasks in as few transactions as their size allows. Tasks
// must be validated and carry ids. A task whose idempotency key was used before
// is not written; its result names the first task instead, as long as that
// task is kept (a key whose task is gone is taken over by the task written).
func (s *Store) Submit(ctx context.Context, tasks []*Task) ([]SubmitResult, error) {
	out := make([]SubmitResult, len(tasks))
	encoded := make([][]byte, len(tasks))
	// A key used twice in one call names the first task: write it once.
	firstOfKey := map[string]int{}
	unique := make([]*Task, 0, len(tasks))
	for i, t := range tasks {
		if t.Key != "" {
			if j, ok := firstOfKey[t.Key]; ok {
				out[i] = SubmitResult{ID: tasks[j].ID, Existing: true}
				continue
			}
			firstOfKey[t.Key] = i
		}
		unique = append(unique, t)
	}
	if len(unique) < len(tasks) {
		res, err := s.Submit(ctx, unique)
		for i, k := 0, 0; i < len(tasks) && k < len(res); i++ {
			if out[i].ID == "" {
				out[i] = res[k]
				k++
			}
		}
		if err != nil {
			return nil, err
		}
		// Duplicates point at what their first task resolved to.
		for i, t := range tasks {
			if j, ok := firstOfKey[t.Key]; ok && t.Key != "" && j != i {
				out[i] = SubmitResult{ID: out[j].ID, Existing: true}
			}
		}
		return out, nil
	}
	if err := s.checkBuckets(tasks); err != nil {
		return nil, err
	}
	for i, t := range tasks {
		t.State, t.Attempt = StateQueued, max(t.Attempt, 1)
		data, err := EncodeSpec(t)
		if err != nil {
			return nil, fmt.Errorf("task %d (%s): %w", i, t.ID, err)
		}
		encoded[i] = data
		out[i].ID = t.ID
	}
	for start := 0; start < len(tasks); {
		if err := ctx.Err(); err != nil {
			return out[:start], err
		}
		end, size := start, 0
		for end < len(tasks) && end-start < MaxBatch && (end == start || size+len(encoded[end]) < maxTxnBytes) {
			size += len(encoded[end])
			end++
		}
		if err := s.submitBatch(tasks[start:end], encoded[start:end], out[start:end]); err != nil {
			if errors.Is(err, ErrConnection) || errors.Is(err, ErrSessionExpired) {
				err = &InFlightError{N: end - start, Err: err}
			}
			return out[:start], err
		}
		start = end
	}
	return out, nil
}

// InFlightError is Submit's error when the connection dropped with a
// transaction in flight: the N tasks after the results returned may have
// been written. (The rest were not sent.) client.Submit returns it too,
// when it could not look them up: sending them again could queue them
// twice.
type InFlightError struct {
	N   int
	Err error
}

func (e *InFlightError) Error() string { return e.Err.Error() }
func (e *InFlightError) Unwrap() error { return e.Err }

// ErrBucketFull means tasks were submitted with ids so dense in time that
// their bucket would hold more than MaxBucketTasks (ids from NewTaskID never
// are).
var ErrBucketFull = errors.New("too many task ids in one time bucket")

// checkBuckets refuses tasks whose ids would fill a bucket past
// MaxBucketTasks, counting what its queue and result directories hold. A
// bucket this store read less than bucketFresh ago is not read again while
// it stays within bucketTrusted (see bucketCounts).
func (s *Store) checkBuckets(tasks []*Task) error {
	type bucket struct{ b1, b2 string }
	count := map[bucket]int{}
	for _, t := range tasks {
		b1, b2 := Bucket(t.ID)
		count[bucket{b1, b2}]++
	}
	readAt := s.now()
	// Every directory is looked at in parallel, one round trip in all
	// instead of one per directory: these reads precede every submit.
	var mu sync.Mutex
	have := map[bucket]int{}
	var g errgroup.Group
	g.SetLimit(getManyInflight)
	for b, n := range count {
		if s.buckets.reserve(b.b1+b.b2, n, readAt) {
			delete(count, b)
			continue
		}
		for _, dir := range []string{s.layout.QueueBucket(b.b1, b.b2), s.layout.ResultBucket(b.b1, b.b2)} {
			g.Go(func() error {
				ok, st, err := s.Exists(dir)
				if err != nil {
					return fmt.Errorf("submit: %w", err)
				}
				if ok {
					mu.Lock()
					have[b] += int(st.NumChildren)
					mu.Unlock()
				}
				return nil
			})
		}
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for b, n := range count {
		if have[b]+n > MaxBucketTasks {
			return fmt.Errorf("submit: %d tasks in bucket %s/%s, which holds %d already: at most %d: %w", n, b.b1, b.b2, have[b], MaxBucketTasks, ErrBucketFull)
		}
	}
	for b, n := range count {
		s.buckets.read(b.b1+b.b2, have[b]+n, readAt)
	}
	return nil
}

// A bucket's size read less than bucketFresh ago stands in for a new read
// while it, plus the tasks this store added since, stays at most
// bucketTrusted. In bucketFresh other writers add at most ZooKeeper's commit
// rate times bucketFresh to the bucket: about 3,500 at the 35,000 creates/s
// that batched multis reach here, and 12,288 only at 120,000/s, which no
// ensemble commits into one bucket. A long-lived submitter (the API, a Go
// program) thereby saves a round trip on most submits. (As before the cache,
// a size read is only as good as the time until the submit commits.)
const (
	bucketFresh   = 100 * time.Millisecond
	bucketTrusted = MaxBucketTasks / 4
)

// bucketCounts is what checkBuckets knows of recently read buckets.
type bucketCounts struct {
	mu   sync.Mutex
	seen map[string]bucketCount // b1+b2 -> its count
}

type bucketCount struct {
	n  int       // tasks in the bucket when read, plus this store's since
	at time.Time // when it was read
}

// reserve reports whether n more tasks fit bucket b on what was read of it
// recently, and if so counts them in.
func (c *bucketCounts) reserve(b string, n int, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	seen, ok := c.seen[b]
	if !ok || now.Sub(seen.at) >= bucketFresh || now.Before(seen.at) || seen.n+n > bucketTrusted {
		return false
	}
	seen.n += n
	c.seen[b] = seen
	return true
}

// read records that bucket b held n tasks (counting the ones about to be
// added) at time at, and forgets buckets read too long ago to matter.
func (c *bucketCounts) read(b string, n int, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil {
		c.seen = map[string]bucketCount{}
	}
	if old, ok := c.seen[b]; ok && old.at.After(at) {
		return // a newer read, with the reservations counted on it, stands
	}
	for k, v := range c.seen {
		if at.Sub(v.at) >= bucketFresh {
			delete(c.seen, k)
		}
	}
	c.seen[b] = bucketCount{n: n, at: at}
}

func (s *Store) submitBatch(tasks []*Task, encoded [][]byte, out []SubmitResult) error {
	pending := make([]int, 0, len(tasks))
	for i := range tasks {
		pending = append(pending, i)
	}
	// freeAt holds, for a pending task whose key was read naming a task
	// no longer kept, the versions read: the task takes the key over at
	// them, so that of two submits that read it, one does.
	var freeAt map[int]keyFree
	for len(pending) > 0 {
		ids := make([]string, len(pending))
		opOf := make([]int, 0, 2*len(pending)) // op index -> task index
		for j, i := range pending {
			ids[j] = tasks[i].ID
		}
		err := s.CommitCreatingBuckets(ids, func(txn *Txn) error {
			opOf = opOf[:0]
			// A bucket given one task gets its copy as data: a leader with
			// nothing to place reads it along with the listing.
			mb := manifests{lone: func(string) bool { return true }}
			// A shard's version is checked and moved on once a multi:
			// a second set at the version read fails in the multi that
			// made the first, read again the same, for ever.
			shardSet := map[string]bool{}
			for _, i := range pending {
				t := tasks[i]
				txn.Create(s.layout.QueueItem(t.ID), encoded[i])
				opOf = append(opOf, i)
				b1, b2 := Bucket(t.ID)
				mb.add(s.layout.QueueBucket(b1, b2), newManifestName, encoded[i])
				if t.Key != "" {
					kr, err := Encode(&KeyRecord{Task: t.ID})
					if err != nil {
						return err
					}
					hash := KeyHash(t.Key)
					if f, ok := freeAt[i]; ok {
						txn.Set(s.layout.Key(hash), kr, f.key)
						if shard := s.layout.KeyShard(hash); !shardSet[shard] {
							shardSet[shard] = true
							txn.Set(shard, nil, f.shard)
							opOf = append(opOf, i)
						}
					} else {
						txn.Create(s.layout.Key(hash), kr)
					}
					txn.Create(s.layout.KeyIndexItem(t.ID), []byte(hash))
					opOf = append(opOf, i, i)
				}
			}
			// A copy of the bucket's new items for the leader, which reads
			// it instead of each item.
			mb.create(txn)
			return nil
		})
		if err == nil {
			return nil
		}
		idx := FailedOp(err)
		if idx < 0 || idx >= len(opOf) || !errors.Is(err, ErrNodeExists) && !errors.Is(err, ErrNoNode) && !errors.Is(err, ErrBadVersion) {
			return fmt.Errorf("submit: %w", err)
		}
		i := opOf[idx]
		t := tasks[i]
		var oe *OpError
		errors.As(err, &oe)
		switch {
		case t.Key != "" && hasFree(freeAt, i) && (oe.Path == s.layout.Key(KeyHash(t.Key)) || oe.Path == s.layout.KeyShard(KeyHash(t.Key))):
			// A key this submit was taking over changed or went since it
			// was read, or another was taken over: read it again.
			fallthrough
		case t.Key != "" && oe.Path == s.layout.Key(KeyHash(t.Key)) && errors.Is(err, ErrNodeExists):
			// A key used before. Read every pending task's key, pipelined:
			// a file submitted again would fail the transaction once for
			// each (and took twice as long as the first time).
			var err error
			if pending, freeAt, err = s.takenKeys(tasks, pending, out); err != nil {
				return fmt.Errorf("submit %s: %w", t.ID, err)
			}
			if len(freeAt) > 0 && s.keysRead != nil {
				s.keysRead()
			}
			continue
		case errors.Is(err, ErrBadVersion):
			return fmt.Errorf("submit: %w", err)
		case errors.Is(err, ErrNoNode) && strings.HasPrefix(oe.Path, s.layout.Keys()+"/"):
			// The key's shard directory is missing.
			if err := s.EnsurePath(s.layout.Keys() + "/" + KeyHash(t.Key)[:2]); err != nil {
				return err
			}
			continue
		case errors.Is(err, ErrNoNode) && strings.HasPrefix(oe.Path, s.layout.KeyIndex()+"/"):
			if err := s.EnsurePath(path.Dir(oe.Path)); err != nil {
				return err
			}
			continue
		case errors.Is(err, ErrNoNode):
			return fmt.Errorf("submit: %w", err)
		default:
			// The task id exists: a deterministic id submitted before.
			out[i] = SubmitResult{ID: t.ID, Existing: true}
		}
		pending = removeInt(pending, i)
	}
	return nil
}

// takenKeys reads the keys of the pending tasks that have one, sets the
// result of each task whose key names a task still kept, and returns the
// rest with, for each whose key names a task no longer kept (see
// orphanedKey), the versions read: the task takes the key over at them. A
// key record that does not decode, or names no task id, is moved aside at
// the versions read (its task is written and makes the key anew).
func (s *Store) takenKeys(tasks []*Task, pending []int, out []SubmitResult) ([]int, map[int]keyFree, error) {
	var keyed []int
	var paths []string
	for _, i := range pending {
		if tasks[i].Key != "" {
			keyed, paths = append(keyed, i), append(paths, s.layout.Key(KeyHash(tasks[i].Key)))
		}
	}
	// The keys' shard directories first, whose data nobody reads: a
	// take-over (or a key moved aside) writes its shard at the version
	// read, so that a submit that read a key after its shard does not take
	// it, though it is back at the version read (taken over, pruned with
	// its task, made anew). Read after the key, the shard told nothing of
	// what came between the two reads.
	shardAt := map[string]int32{}
	var shards []string
	for _, i := range keyed {
		if shard := s.layout.KeyShard(KeyHash(tasks[i].Key)); !slices.Contains(shards, shard) {
			shards = append(shards, shard)
		}
	}
	for _, r := range s.GetMany(shards) {
		switch {
		case r.Err == nil:
			shardAt[r.Path] = r.Stat.Version
		case !errors.Is(r.Err, ErrNoNode):
			return nil, nil, fmt.Errorf("read key shard: %w", r.Err)
		}
	}
	reads := s.GetMany(paths)
	if s.keyRecordsRead != nil {
		s.keyRecordsRead()
	}
	taken := map[int]bool{}
	freeAt := map[int]keyFree{}
	type named struct {
		i    int
		key  Read
		task string
	}
	var found []named
	for k, r := range reads {
		shard := s.layout.KeyShard(KeyHash(tasks[keyed[k]].Key))
		switch {
		case errors.Is(r.Err, ErrNoNode):
		case r.Err != nil:
			return nil, nil, fmt.Errorf("read key: %w", r.Err)
		default:
			var kr KeyRecord
			err := Decode(r.Data, &kr)
			if err == nil && ValidateTaskID(kr.Task) != nil {
				err = fmt.Errorf("%w: key names no task id", ErrMalformed)
			}
			if err == nil {
				found = append(found, named{i: keyed[k], key: r, task: kr.Task})
				continue
			}
			v, ok := shardAt[shard]
			if !ok {
				// Its shard was made after it was read: the key is read
				// again when the task's create finds it.
				continue
			}
			// Left, it would refuse every submit with its key. Moved aside
			// at the versions of the key and its shard read: a delete at
			// the key's alone could take the key another submit made anew
			// meanwhile, at the same version, and both would own it.
			qerr := s.quarantine(r.Path, r.Data, r.Stat.Version, fmt.Errorf("key record: %w", err), func(txn *Txn) {
				txn.Delete(r.Path, r.Stat.Version)
				txn.Set(shard, nil, v)
			})
			switch {
			case qerr == nil:
				shardAt[shard] = v + 1 // moved on by this write alone
			case !errors.Is(qerr, ErrNoNode) && !errors.Is(qerr, ErrBadVersion):
				return nil, nil, qerr
			}
		}
	}
	// Each key's task's key index entry, made with the key: one more
	// round trip, on a key used before only.
	entries := make([]string, len(found))
	for j, f := range found {
		entries[j] = s.layout.KeyIndexItem(f.task)
	}
	for j, e := range s.GetMany(entries) {
		f := found[j]
		switch {
		case e.Err == nil:
		case errors.Is(e.Err, ErrNoNode):
			orphaned, err := s.orphanedKey(f.key, f.task)
			if err != nil {
				return nil, nil, err
			}
			if orphaned {
				// Taken over at the versions read. (A shard made after
				// its read leaves the task to a create, which finds the
				// key and reads it again.)
				if v, ok := shardAt[s.layout.KeyShard(KeyHash(tasks[f.i].Key))]; ok {
					freeAt[f.i] = keyFree{key: f.key.Stat.Version, shard: v}
				}
				continue
			}
		default:
			return nil, nil, fmt.Errorf("read key index entry: %w", e.Err)
		}
		out[f.i], taken[f.i] = SubmitResult{ID: f.task, Existing: true}, true
	}
	rest := pending[:0]
	for _, i := range pending {
		if !taken[i] {
			rest = append(rest, i)
		}
	}
	return rest, freeAt, nil
}

// MoveKeyAside moves the idempotency key record at keyPath to deadletter
// if it does not decode or names no task id, at the versions of the record
// and of its shard directory, read in that order: a delete at the record's
// version alone could take a key that a submit moved aside and made anew
// meanwhile, at the same version, and two tasks would own it (see
// takenKeys). A key that is gone, or readable now, is left.
func (s *Store) MoveKeyAside(keyPath string) error {
	shard := path.Dir(keyPath)
	_, sst, err := s.Get(shard)
	if errors.Is(err, ErrNoNode) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("move key %s aside: %w", keyPath, err)
	}
	data, st, err := s.Get(keyPath)
	if errors.Is(err, ErrNoNode) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("move key %s aside: %w", keyPath, err)
	}
	var kr KeyRecord
	derr := Decode(data, &kr)
	if derr == nil && ValidateTaskID(kr.Task) != nil {
		derr = fmt.Errorf("%w: key names no task id", ErrMalformed)
	}
	if !errors.Is(derr, ErrMalformed) {
		return nil
	}
	err = s.quarantine(keyPath, data, st.Version, fmt.Errorf("key record: %w", derr), func(txn *Txn) {
		txn.Delete(keyPath, st.Version)
		txn.Set(shard, nil, sst.Version)
	})
	if errors.Is(err, ErrNoNode) || errors.Is(err, ErrBadVersion) {
		return nil // changed meanwhile: whoever changed it read it again
	}
	return err
}

// keyFree is where a submit takes a key over: the versions of the key and
// of its shard directory when read (the shard before the key).
type keyFree struct{ key, shard int32 }

// orphanedKey reports whether key, which names task and whose key index
// entry is gone, names a task no longer kept. A key and its entry are made
// in one transaction, and retention deletes them in one with the task's
// result: a key is kept as long as its task's result. But an entry that
// does not decode is moved aside alone (the key cannot be found from it),
// and its key stayed for ever, naming a task pruned since. (A key made
// before the key index existed has no entry either: it stands while its
// task is kept.) The submit that finds it takes it over with a write at the
// version read, never a delete: a delete at that version could take the key
// that another submit made again meanwhile, at the same version, and both
// would own it.
func (s *Store) orphanedKey(key Read, task string) (bool, error) {
	_, loc, err := s.LookupTask(task)
	switch {
	case err == nil || loc.Path != "": // found (readable or not): the key stands
		return false, nil
	case !errors.Is(err, ErrUnknownTask):
		return false, fmt.Errorf("look up task %s of key %s: %w", task, key.Path, err)
	}
	s.log.Warn().Str("task_id", task).Str("key", key.Path).Msg("idempotency key of a task no longer kept taken over")
	return true, nil
}

func hasFree(m map[int]keyFree, k int) bool {
	_, ok := m[k]
	return ok
}

func removeInt(s []int, v int) []int {
	out := s[:0]
	for _, x := range s {
		if x != v {
			out = append(out, x)
		}
	}
	return out
}

// Location says where a task's record was found.
type Location struct {
	Path string
	Stat Stat
}

// ErrUnknownTask means no record of a task exists anywhere.
var ErrUnknownTask = errors.New("no such task")

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
	for try := 0; try < 3; try++ {
		// Both read at once; a result, when there is one, wins: it is final.
		for _, rd := range s.GetMany([]string{s.layout.Result(id), s.layout.QueueItem(id)}) {
			if errors.Is(rd.Err, ErrNoNode) {
				continue
			}
			if rd.Err != nil {
				return nil, Location{}, rd.Err
			}
			t, err := DecodeTaskOf(id, rd.Data)
			if err != nil {
				loc := Location{Path: rd.Path, Stat: rd.Stat}
				return nil, loc, &RecordError{Task: id, Loc: loc, Err: err}
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
			assigned, err := s.Assignments()
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
	return nil, Location{}, fmt.Errorf("task %s: %w", id, ErrUnknownTask)
}

// testHookLookup, when set by a test, runs in LookupTaskIn just before
// ("listing") and just after ("listed") it lists the assignments.
var testHookLookup func(stage string)

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
	seen := map[string]bool{}
	for _, id := range ids {
		b1, b2 := Bucket(id)
		if seen[b1+b2] {
			continue
		}
		seen[b1+b2] = true
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
// skipped.
func (s *Store) Assignments() ([]AssignmentRef, error) {
	workers, err := s.Children(s.layout.Tasks())
	if err != nil {
		return nil, err
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
		if l.Err != nil {
			return nil, l.Err
		}
		for _, k := range l.Names {
			task, attempt, err := ParseAssignmentName(k)
			if err != nil {
				continue
			}
			out = append(out, AssignmentRef{Worker: w, Task: task, Attempt: attempt, Path: s.layout.WorkerTasks(w) + "/" + k})
		}
	}
	return out, nil
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
			data, st, err := s.Get(p)
			if err != nil {
				return nil, err
			}
			t, err := DecodeTaskOf(id, data)
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

// Quarantine moves unreadable data at path to the deadletter directory, in one
// transaction that deletes it at the version that was read, so newer data is
// never moved by mistake.
func (s *Store) Quarantine(path string, data []byte, version int32, reason error) error {
	return s.quarantine(path, data, version, reason, func(txn *Txn) { txn.Delete(path, version) })
}

// MaxDeadletters bounds the deadletter directory for the writers of its
// records: with that many, malformed data is done away with and not copied
// (its path, reason and first bytes are logged), so the directory's listing
// (16 bytes a name) stays well under what one reply carries. The leader
// keeps it far below that (scheduler.Config.MaxDeadletters).
const MaxDeadletters = 50_000

// DeadlettersDropped is how many pieces of malformed data this store has
// done away with since it opened without a deadletter record, the directory
// being full (MaxDeadletters): they are in no count of deadletter/, only in
// the log.
func (s *Store) DeadlettersDropped() uint64 { return s.dropped.Load() }

// maxDeadletters is MaxDeadletters; tests lower it.
var maxDeadletters = MaxDeadletters

// quarantine copies data to deadletter and, in the same transaction, does
// away with it at path by remove.
func (s *Store) quarantine(path string, data []byte, version int32, reason error, remove func(*Txn)) error {
	_, dir, err := s.Exists(s.layout.Deadletter())
	if err != nil {
		return fmt.Errorf("quarantine %s: %w", path, err)
	}
	full := dir.NumChildren >= int32(maxDeadletters)
	txn := s.Txn()
	aside := -1
	if !full {
		aside = txn.Len()
		txn.moveAside(path, data, reason)
	}
	remove(txn)
	if err := txn.commitAside(aside); err != nil {
		return fmt.Errorf("quarantine %s: %w", path, err)
	}
	if full {
		s.dropped.Add(1)
		s.log.Error().Str("path", path).Str("reason", reason.Error()).Int32("deadletters", dir.NumChildren).
			Bytes("head", data[:min(len(data), 200)]).Msg("deadletter full: malformed data dropped")
		return nil
	}
	s.log.Warn().Str("path", path).Str("reason", reason.Error()).Msg("malformed data moved to deadletter")
	return nil
}

// moveChildrenAside moves every znode under record path to deadletter, each
// at the version read in a transaction of its own (deepest first), so that
// the record can be deleted: Drover keeps nothing under a record.
func (s *Store) moveChildrenAside(path string) error {
	kids, err := s.Children(path)
	if errors.Is(err, ErrNoNode) {
		return nil
	}
	if err != nil {
		return err
	}
	reason := fmt.Errorf("%w: under record %s, where Drover keeps nothing", ErrMalformed, path)
	for _, k := range kids {
		p := path + "/" + k
		data, st, err := s.Get(p)
		if errors.Is(err, ErrNoNode) {
			continue
		}
		if err != nil {
			return err
		}
		if st.NumChildren > 0 {
			if err := s.moveChildrenAside(p); err != nil {
				return err
			}
		}
		if err := s.Quarantine(p, data, st.Version, reason); err != nil && !errors.Is(err, ErrNoNode) && !errors.Is(err, ErrBadVersion) {
			return err
		}
	}
	return nil
}

// moveAside adds the creation of a deadletter record holding data, found
// at path and unreadable for reason; the caller's operations in the same
// transaction do away with it there.
func (t *Txn) moveAside(path string, data []byte, reason error) {
	rec, err := Encode(&Deadletter{From: path, Reason: reason.Error(), At: time.Now().UTC(), Data: data})
	if err != nil {
		rec = deadletterHead(path, data, reason)
	}
	t.createSequential(t.s.layout.Deadletter()+"/d-", rec)
}

// commitAside commits t, whose operation aside (-1: none) creates a
// deadletter record. The deadletter directory exists from Open on but may
// have been deleted by hand; that create then fails with ErrNoNode, which
// callers would take for their data being gone already, and the data would
// stay where it is. So when it is that operation that fails so (not the
// one on the data's own znode), the directory is made again and t sent once
// more. Only the directory is made, not the root: with the root gone, so is
// the data, and the error says so.
func (t *Txn) commitAside(aside int) error {
	err := t.Commit()
	if aside < 0 || !errors.Is(err, ErrNoNode) || FailedOp(err) != aside {
		return err
	}
	dir := t.s.layout.Deadletter()
	if cerr := t.s.Create(dir, nil); cerr != nil && !errors.Is(cerr, ErrNodeExists) {
		return fmt.Errorf("%w (making %s again: %w)", err, dir, cerr)
	}
	t.s.log.Warn().Str("path", dir).Msg("deadletter directory was missing: made again")
	return t.Commit()
}

// deadletterHead encodes a deadletter record of data too large for one
// (its base64 takes 4/3 of it: a record of more than some 720 KB) with as
// much of its head as fits, and says so in the reason: what was cut is
// lost, but not all of it.
func deadletterHead(path string, data []byte, reason error) []byte {
	d := Deadletter{From: path, At: time.Now().UTC(),
		Reason: fmt.Sprintf("%v (data cut to its first %d of %d bytes: too large)", reason, len(data), len(data))}
	head, err := Encode(&d)
	if err == nil {
		n := min(len(data), (MaxRecordSize-len(head)-16)/4*3)
		d.Reason = fmt.Sprintf("%v (data cut to its first %d of %d bytes: too large)", reason, n, len(data))
		d.Data = data[:n]
		if rec, err := Encode(&d); err == nil {
			return rec
		}
	}
	rec, _ := Encode(&Deadletter{From: path, Reason: Clip(reason.Error(), 4<<10) + " (data dropped: too large)", At: time.Now().UTC()})
	return rec
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
				if r.Err != nil {
					return r.Err
				}
				dir, id := path.Dir(r.Path), path.Base(r.Path)
				t, err := DecodeTaskOf(id, r.Data)
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
				if pending[dir] == nil {
					continue
				}
				// Relist a bucket at most every relistEvery: a busy bucket
				// changes with every result, and each listing costs its size.
				ev := evs[i]
				next := time.NewTimer(relistEvery)
				wg.Add(1)
				go func() {
					defer wg.Done()
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
	dirs := make([]string, 0, len(pending))
	for dir := range pending {
		dirs = append(dirs, dir)
	}
	if err := watch(dirs); err != nil {
		return err
	}
	if err := s.checkKnown(pending, collect, unknownTask); err != nil {
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
			dirs := []string{dir}
			for more := true; more; {
				select {
				case dir := <-fired:
					dirs = append(dirs, dir)
				default:
					more = false
				}
			}
			before := collected
			if err := watch(dirs); err != nil {
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
// pipelined, and waitReads the most results it reads at once.
const waitBuckets, waitReads = 64, 1024

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
		refs, err := s.Assignments()
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
