package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
	"golang.org/x/sync/errgroup"
)

// Versions of a queue item as created: by Submit, and by Enqueue (every other
// way into the queue) of a task's first attempt of generation 0 (Task.Gen;
// EnqueuedVersionOf). A copy of a submitted item in a queue manifest is valid
// only at SubmittedVersion (see Enqueue).
const (
	SubmittedVersion int32 = 0
	EnqueuedVersion  int32 = 1
)

// MaxGen bounds Task.Gen: each generation costs an empty write in the
// transactions that queue the task and record its end (see Enqueue).
const MaxGen = 1000

// genWriteBytes is what one of Enqueue's empty writes adds to a request
// besides its path: the op's header, version and empty data.
const genWriteBytes = 32

// EnqueuedVersionOf is the version at which Enqueue creates task's item:
// one more for each attempt before task.Attempt and each generation, so
// that no item of a task is ever made at the version of an earlier one.
// Writers that delete a queued item at the version they read (a cancel, a
// leader placing from its view, a replace schedule's cancel) then cannot
// take a later item of the task for the one they read: placed, failed and
// queued again meanwhile, it was made at version 1 each time, and a cancel
// deleted the new item and ended the task with the old record, the attempt
// that ran missing from its history.
func EnqueuedVersionOf(task *Task) int32 {
	return EnqueuedVersion + int32(task.Gen) + int32(max(task.Attempt-1, 0))
}

// FinishedVersionOf is the version at which Finish creates task's result:
// its generation, one more for each retry (drover retry) since it was
// submitted. A retry deletes the result at the version it read; a second
// retry racing it must not take the result of the first's attempt for
// the one it read (both were made at version 0: the second deleted the
// first's result, ran that attempt again, and one run was lost).
func FinishedVersionOf(task *Task) int32 { return int32(task.Gen) }

// VersionWriteBytes is about what the empty writes that make task's queue
// item at its version (EnqueuedVersionOf) add to a transaction, its path
// being pathLen bytes: for writers that weigh a transaction's size before
// they build it. FinishWriteBytes is the same for its result
// (FinishedVersionOf).
func VersionWriteBytes(task *Task, pathLen int) int {
	return int(EnqueuedVersionOf(task)-1) * (pathLen + genWriteBytes)
}

// FinishWriteBytes: see VersionWriteBytes.
func FinishWriteBytes(task *Task, pathLen int) int {
	return int(FinishedVersionOf(task)) * (pathLen + genWriteBytes)
}

// createAt adds the creation of p holding data at version: created empty,
// then written version times (empty writes first: the transaction is
// atomic, so no reader sees them).
func (t *Txn) createAt(p string, data []byte, version int32) {
	if version <= 0 {
		t.Create(p, data)
		return
	}
	t.Create(p, nil)
	for v := int32(0); v < version-1; v++ {
		t.Set(p, nil, v)
	}
	t.Set(p, data, version-1)
}

// Enqueue adds the creation of t's queue item. The bucket directories must exist
// (see EnsureBuckets; CommitCreatingBuckets makes them when they are not).
func (t *Txn) Enqueue(task *Task) error {
	task.State = StateQueued
	task.Worker, task.Reg, task.Epoch, task.AssignedAt, task.StartedAt = "", 0, 0, time.Time{}, time.Time{}
	if task.Gen < 0 || task.Gen > MaxGen {
		return fmt.Errorf("enqueue %s: retried %d times, at most %d: submit it anew", task.ID, task.Gen, MaxGen)
	}
	data, err := Encode(task)
	if err != nil {
		return fmt.Errorf("enqueue %s: %w", task.ID, err)
	}
	// Created empty and written in the same transaction: a queue item at
	// version 0 is one Submit wrote, whose copy a queue manifest may hold. A
	// leader that places from such a copy deletes the item at version 0, so
	// a copy outlived by a re-queued item (version 1 or more) can never be
	// placed. Each attempt and generation takes the item one version
	// further (EnqueuedVersionOf).
	p := t.s.layout.QueueItem(task.ID)
	version := EnqueuedVersionOf(task)
	if len(data)+VersionWriteBytes(task, len(p)) > MaxRecordSize {
		// The empty writes and the record would outgrow one request, which
		// ZooKeeper answers by dropping the connection: an unknown outcome
		// the caller would send again.
		return fmt.Errorf("enqueue %s: a %d-byte record at attempt %d, retried %d times, does not fit one transaction: submit it anew: %w",
			task.ID, len(data), task.Attempt, task.Gen, ErrTooLarge)
	}
	t.createAt(p, data, version)
	return nil
}

// EnqueueRetried is Enqueue for a finished task queued again (drover
// retry): a leader may still hold the item a cancel deleted behind its
// back, by the same name. The leader knows a queue item by its name: a
// manifest tells it that this one is new, so that it reads it instead of
// keeping the record it holds (DecodeQueueManifest).
func (t *Txn) EnqueueRetried(task *Task) error {
	if err := t.Enqueue(task); err != nil {
		return err
	}
	b1, b2 := Bucket(task.ID)
	t.Create(t.s.layout.QueueBucket(b1, b2)+"/"+newManifestName(), encodeRequeued(task.ID))
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
	// at is when that transaction ran, by ZooKeeper's clock: the copied
	// record's creation, made in the same transaction.
	at time.Time
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

// At is when the copy's transaction ran, by ZooKeeper's clock: the copied
// record's creation (its ctime).
func (c DirCopy) At() time.Time { return c.at }

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
	return DirCopy{task: task, zxid: stat.Mzxid, at: stat.Mtime}, nil
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
	p := t.s.layout.Result(task.ID)
	if len(data)+FinishWriteBytes(task, len(p)) > MaxRecordSize {
		// As in Enqueue: one request past jute.maxbuffer drops the
		// connection, an outcome unknown that its writer sends again.
		return fmt.Errorf("finish %s: a %d-byte record retried %d times does not fit one transaction: %w", task.ID, len(data), task.Gen, ErrTooLarge)
	}
	t.createAt(p, data, FinishedVersionOf(task))
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
// than LateResult before at, and not after it: a writer whose clock stepped
// back would otherwise take its results for recent until its clock caught
// up with the mark, for as long as it stepped, and write none while the
// bucket aged from the mark.
func (m *lateMarks) recent(dir string, at time.Time) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	last, ok := m.at[dir]
	d := at.Sub(last)
	return ok && d >= 0 && d < LateResult
}

// forget drops what it remembers of dirs: they were made anew, unmarked.
func (m *lateMarks) forget(dirs ...string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, d := range dirs {
		delete(m.at, d)
	}
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
func (s *Store) EnsureBuckets(id string) error { return s.ensureBuckets(id, "", true) }

// EnsureBucketsFenced is EnsureBuckets for a leader: each create also
// checks fence, the leader's election znode (see EnsurePathFenced).
func (s *Store) EnsureBucketsFenced(id, fence string) error { return s.ensureBuckets(id, fence, true) }

// ensureBuckets creates id's result buckets, and with queue its queue
// buckets.
func (s *Store) ensureBuckets(id, fence string, queue bool) error {
	b1, b2 := Bucket(id)
	dirs := []string{s.layout.Results() + "/" + b1, s.layout.ResultBucket(b1, b2)}
	if queue {
		dirs = append([]string{s.layout.Queue() + "/" + b1, s.layout.QueueBucket(b1, b2)}, dirs...)
	}
	for _, dir := range dirs {
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
	return s.commitCreatingBuckets(ids, build, nil)
}

// commitCreatingBuckets is CommitCreatingBuckets that sends nothing more
// once send (when set) ends: an interrupted submit's multi that failed is
// not sent again, nor are its buckets made.
func (s *Store) commitCreatingBuckets(ids []string, build func(*Txn) error, send context.Context) error {
	var err error
	for try := 0; try < 5; try++ {
		if try > 0 && send != nil && send.Err() != nil {
			return send.Err() // ended while the buckets were made
		}
		txn := s.Txn()
		if err = build(txn); err != nil {
			return err
		}
		err = txn.Commit()
		if err == nil || !errors.Is(err, ErrNoNode) || errors.Is(err, ErrFenced) {
			return err
		}
		var oe *OpError
		queue := true // a queue item's create (or unknown): both kinds
		if errors.As(err, &oe) {
			queue = strings.HasPrefix(oe.Path, s.layout.Queue()+"/")
			results := strings.HasPrefix(oe.Path, s.layout.Results()+"/")
			if !txn.creates(oe.Index) || !queue && !results {
				// Not a create under a bucket (a queue item to delete that
				// is gone meanwhile): the caller's condition.
				return err
			}
		}
		if send != nil && send.Err() != nil {
			return send.Err() // nothing written; no bucket made after it ended
		}
		for _, id := range onePerBucket(ids) {
			b1, b2 := Bucket(id)
			// A result bucket made anew (retention pruned it, its marks
			// with it) has none of the late marks this store remembers
			// making: the next try marks it again.
			s.marks.forget(s.layout.ResultBucket(b1, b2), s.layout.ResultBucket(b1, ""))
			// A parent just created can be removed again by a leader tidying
			// empty buckets: that is one more try, not a failure. A leader's
			// transaction makes them fenced as it is.
			// A queue item's create makes the result buckets too, ahead
			// of its result (one request then, not a failed multi more at
			// its end); a result's makes only result buckets: it made the
			// queue bucket of a task long placed again, empty, for the
			// leader to watch and sweep (160,000 of them held a takeover
			// a minute).
			if err := s.ensureBuckets(id, txn.fence, queue); err != nil && !errors.Is(err, ErrNoNode) {
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
// A key whose record is of a newer format version fails the submit with
// ErrUnsupportedVersion: this build cannot tell which task holds it.
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
	// Reads only, given up on when ctx ends (on a silent link they waited
	// for the client to give the connection up): nothing is sent yet.
	if _, err := Await(ctx, func() (struct{}, error) { return struct{}{}, s.checkBuckets(tasks) }); err != nil {
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
		if send, ok := ctx.Value(sendKey{}).(context.Context); ok && send.Err() != nil {
			return out[:start], send.Err() // none sent after it ended
		}
		if s.Closed() {
			return out[:start], ErrClosed // none sent
		}
		end, size := start, 0
		for end < len(tasks) && end-start < MaxBatch && (end == start || size+len(encoded[end]) < maxTxnBytes) {
			size += len(encoded[end])
			end++
		}
		if err := s.submitBatchCtx(ctx, tasks[start:end], encoded[start:end], out[start:end]); err != nil {
			// Closed since the look above: the close may have cut off
			// the reply of a transaction ZooKeeper applied, as a lost
			// connection does.
			if errors.Is(err, ErrConnection) || errors.Is(err, ErrSessionExpired) || errors.Is(err, ErrClosed) || errors.Is(err, errGaveUp) {
				err = &InFlightError{N: end - start, Err: err}
			}
			return out[:start], err
		}
		start = end
	}
	return out, nil
}

// submitBatchCtx is submitBatch, given up on when ctx ends first: its
// requests take no context, and on a silent link they waited for the
// client to give the connection up (two thirds of the session timeout).
// Given up on, the batch is in flight (errGaveUp, wrapping ctx's error),
// and its writes end in the background; out is filled only by a batch that
// ended.
func (s *Store) submitBatchCtx(ctx context.Context, tasks []*Task, encoded [][]byte, out []SubmitResult) error {
	mine := slices.Clone(out) // not written to behind a caller that went on
	send, _ := ctx.Value(sendKey{}).(context.Context)
	_, err := Await(ctx, func() (struct{}, error) { return struct{}{}, s.submitBatch(tasks, encoded, mine, send) })
	if ctxErr := ctx.Err(); ctxErr != nil && err == ctxErr { // given up on (submitBatch returns no ctx error)
		return fmt.Errorf("%w: %w", errGaveUp, context.Cause(ctx))
	}
	copy(out, mine)
	return err
}

// SendUntil returns ctx for a Submit that sends no further transaction
// once send ends, while one in flight waits for its answer until ctx ends:
// an interrupted command gives the write in flight a grace, not the rest.
func SendUntil(ctx, send context.Context) context.Context {
	return context.WithValue(ctx, sendKey{}, send)
}

type sendKey struct{}

// errGaveUp marks a batch given up on with its writes in flight.
var errGaveUp = errors.New("gave up waiting for ZooKeeper's answer")

// InFlightError is Submit's error when the connection dropped with a
// transaction in flight: the N tasks after the results returned may have
// been written. (The rest were not sent.) client.Submit returns it too,
// when it could not look them up: sending them again could queue them
// twice.
type InFlightError struct {
	N   int
	Err error
	// IDs, when set (client.Submit), are the ids of the tasks of those N
	// specs, in order, each once (specs that repeat a key name one task).
	IDs []string
}

func (e *InFlightError) Error() string { return e.Err.Error() }
func (e *InFlightError) Unwrap() error { return e.Err }

// ErrBucketFull means tasks were submitted with ids so dense in time that
// their bucket would hold more than MaxBucketTasks (ids from NewTaskID never
// are).
var ErrBucketFull = errors.New("too many task ids in one time bucket")

// checkBuckets refuses tasks whose ids would fill a bucket past
// MaxBucketTasks, counting the tasks ever queued in its queue directory
// (creates, from its child count and cversion: those placed on workers are
// no longer listed there, and will all have results), or what its queue and
// result directories hold, if more (a queue directory made anew). A bucket
// this store read less than bucketFresh ago is not read again while it
// stays within bucketTrusted (see bucketCounts).
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
	held, created := map[bucket]int{}, map[bucket]int{}
	var g errgroup.Group
	g.SetLimit(getManyInflight)
	for b, n := range count {
		if s.buckets.reserve(b.b1+b.b2, n, readAt) {
			delete(count, b)
			continue
		}
		for i, dir := range []string{s.layout.QueueBucket(b.b1, b.b2), s.layout.ResultBucket(b.b1, b.b2)} {
			g.Go(func() error {
				ok, st, err := s.Exists(dir)
				if err != nil {
					return err // the caller names the submit
				}
				if ok {
					mu.Lock()
					held[b] += int(st.NumChildren)
					if i == 0 {
						// cversion = creates + deletes, children = creates - deletes
						created[b] = (int(st.Cversion) + int(st.NumChildren)) / 2
					}
					mu.Unlock()
				}
				return nil
			})
		}
	}
	if err := g.Wait(); err != nil {
		return err
	}
	have := map[bucket]int{}
	for b := range count {
		have[b] = max(held[b], created[b])
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

// submitBatch writes tasks (a batch of Submit's), sending again what a
// failed multi did not write (keys used before, buckets missing) until
// send (when set) ends: then it sends nothing more, and returns send's
// error (what the failed multi was to write was not written).
func (s *Store) submitBatch(tasks []*Task, encoded [][]byte, out []SubmitResult, send context.Context) error {
	pending := make([]int, 0, len(tasks))
	for i := range tasks {
		pending = append(pending, i)
	}
	// freeAt holds, for a pending task whose key was read naming a task
	// no longer kept, the versions read: the task takes the key over at
	// them, so that of two submits that read it, one does.
	var freeAt map[int]keyFree
	for tries := 0; len(pending) > 0; tries++ {
		if tries > 0 && send != nil && send.Err() != nil {
			return send.Err() // ended while keys were read or paths made
		}
		ids := make([]string, len(pending))
		opOf := make([]int, 0, 2*len(pending)) // op index -> task index
		for j, i := range pending {
			ids[j] = tasks[i].ID
		}
		err := s.commitCreatingBuckets(ids, func(txn *Txn) error {
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
		}, send)
		if err == nil {
			return nil
		}
		idx := FailedOp(err)
		if idx < 0 || idx >= len(opOf) || !errors.Is(err, ErrNodeExists) && !errors.Is(err, ErrNoNode) && !errors.Is(err, ErrBadVersion) {
			return err // the caller names the submit
		}
		if send != nil && send.Err() != nil {
			return send.Err() // the multi wrote nothing; nothing is read or made for another
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
			return err // the caller names the submit
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
			return err // the caller names the submit
		default:
			// The task id exists: a deterministic id submitted before.
			out[i] = SubmitResult{ID: t.ID, Existing: true}
		}
		pending = removeInt(pending, i)
	}
	return nil
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
