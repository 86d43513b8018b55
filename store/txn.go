package store

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/go-zookeeper/zk"
)

func newGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Txn is a ZooKeeper multi: all of its operations apply, or none. A fence (a
// znode checked first) makes it fail once the writer has lost its role.
type Txn struct {
	s     *Store
	ops   []any
	paths []string
	size  int    // bytes of paths and data
	fence string // the Fence's path ("": none)
	// stamp is the index of the Stamp operation (-1: none); zxid is the
	// committed transaction's zxid, learnt from it.
	stamp int
	zxid  int64
	mtime time.Time // the stamp's, by ZooKeeper's clock
	// marked are the result buckets FinishEncoded marks in this
	// transaction: the finish time each is marked for, and the index of its
	// operation.
	marked map[string]lateMark
}

// Txn starts an empty transaction.
func (s *Store) Txn() *Txn { return &Txn{s: s, stamp: -1} }

// Fence makes the transaction fail with ErrFenced unless path exists (and, when
// version >= 0, is at that version). It must be the first operation.
func (t *Txn) Fence(path string, version int32) *Txn {
	if len(t.ops) != 0 {
		panic("store: Fence must be the first operation of a Txn")
	}
	t.fence = path
	return t.Check(path, version)
}

// Check asserts path exists at version (-1: any version).
func (t *Txn) Check(path string, version int32) *Txn {
	t.ops = append(t.ops, &zk.CheckVersionRequest{Path: path, Version: version})
	t.paths, t.size = append(t.paths, path), t.size+len(path)
	return t
}

// Create adds a persistent znode.
func (t *Txn) Create(path string, data []byte) *Txn {
	t.ops = append(t.ops, &zk.CreateRequest{Path: path, Data: data, Acl: t.s.acl})
	t.paths, t.size = append(t.paths, path), t.size+len(path)+len(data)
	return t
}

// Delete removes path at version (-1: any).
func (t *Txn) Delete(path string, version int32) *Txn {
	t.ops = append(t.ops, &zk.DeleteRequest{Path: path, Version: version})
	t.paths, t.size = append(t.paths, path), t.size+len(path)
	return t
}

// Set writes path's data at version (-1: any).
func (t *Txn) Set(path string, data []byte, version int32) *Txn {
	t.ops = append(t.ops, &zk.SetDataRequest{Path: path, Data: data, Version: version})
	t.paths, t.size = append(t.paths, path), t.size+len(path)+len(data)
	return t
}

// Stamp adds an unconditional empty write to path, an existing znode whose
// data nobody reads, so that Commit learns the transaction's zxid (see Zxid):
// the client library reports a zxid only for data writes.
func (t *Txn) Stamp(path string) *Txn {
	t.stamp = len(t.ops)
	return t.Set(path, nil, -1)
}

// Append adds o's operations after t's, so that a writer can build each
// part once and pack parts into transactions afterwards. A late result's
// bucket mark that t holds already is not added again. o is not committed
// itself; it must have no fence or stamp.
func (t *Txn) Append(o *Txn) *Txn {
	if o.fence != "" || o.stamp >= 0 {
		panic("store: Append of a Txn with a fence or a stamp")
	}
	markOf := make(map[int]string, len(o.marked))
	for dir, m := range o.marked {
		markOf[m.op] = dir
	}
	size := o.size
	for i, op := range o.ops {
		if dir, ok := markOf[i]; ok {
			if _, dup := t.marked[dir]; dup {
				sd := op.(*zk.SetDataRequest)
				size -= len(sd.Path) + len(sd.Data)
				continue // as FinishEncoded: the first mark stands
			}
			t.noteMark(dir, o.marked[dir].at)
		}
		t.ops, t.paths = append(t.ops, op), append(t.paths, o.paths[i])
	}
	t.size += size
	return t
}

// noteMark records that the next operation marks result bucket dir for a
// result finished at at.
func (t *Txn) noteMark(dir string, at time.Time) {
	if t.marked == nil {
		t.marked = map[string]lateMark{}
	}
	t.marked[dir] = lateMark{at: at, op: len(t.ops)}
}

// lateMark is a result bucket's mark in a transaction: the finish time of
// the result it is for, and the index of its operation.
type lateMark struct {
	at time.Time
	op int
}

// Zxid is the zxid of a committed transaction that carries a Stamp, else 0.
func (t *Txn) Zxid() int64 { return t.zxid }

// Mtime is when a committed transaction that carries a Stamp was applied,
// by ZooKeeper's clock, else zero.
func (t *Txn) Mtime() time.Time { return t.mtime }

// ZookeeperNow reads ZooKeeper's clock: the mtime of an empty write to the
// tasks directory (a Stamp, as the leader's placements make), fenced by the
// election znode fence unless it is "". It is one write. The leader ages
// tombstones on it; a client stamps a schedule's creation and resumption
// with it rather than with its host's clock, which may be far off the
// leader's (a resume an hour ahead skipped an hour of slots, an add an hour
// behind caught up slots from before it).
func (s *Store) ZookeeperNow(fence string) (time.Time, error) {
	txn := s.Txn()
	if fence != "" {
		txn.Fence(fence, -1)
	}
	if err := txn.Stamp(s.layout.Tasks()).Commit(); err != nil {
		return time.Time{}, fmt.Errorf("read zookeeper's clock: %w", err)
	}
	if txn.Mtime().IsZero() {
		return time.Time{}, errors.New("read zookeeper's clock: no mtime in the reply")
	}
	return txn.Mtime(), nil
}

// Len is the number of operations, fence included.
func (t *Txn) Len() int { return len(t.ops) }

// Size is the bytes of paths and data the transaction carries, what a writer
// packing several into one multi weighs against jute.maxbuffer.
func (t *Txn) Size() int { return t.size }

// creates reports whether operation i creates a znode.
func (t *Txn) creates(i int) bool {
	if i < 0 || i >= len(t.ops) {
		return false
	}
	_, ok := t.ops[i].(*zk.CreateRequest)
	return ok
}

// OpError says which operation made a transaction fail.
type OpError struct {
	Index int
	Path  string
	Err   error
}

func (e *OpError) Error() string { return fmt.Sprintf("op %d on %s: %v", e.Index, e.Path, e.Err) }
func (e *OpError) Unwrap() error { return e.Err }

// Commit runs the transaction. On failure the error wraps an *OpError naming the
// first failing operation and its sentinel (ErrNoNode, ErrNodeExists, ...); a
// failed fence yields ErrFenced alone (no OpError, no ErrNoNode); a lost connection yields ErrConnection (the
// outcome is then unknown).
//
// A record has no znodes under it in Drover's layout (Layout.IsRecord), so
// ZooKeeper refuses to delete one that has some: they were put there by
// hand or by something else, and would keep the record from ever going (a
// placement retried for ever, a report never filed, retention stuck, a
// malformed record that cannot be moved aside). When a delete of a record
// fails so, what is under it is moved to deadletter and the transaction,
// which changed nothing, is sent again.
func (t *Txn) Commit() error {
	var cleared map[string]bool
	for {
		err := t.s.writeErr(t.commit()) // cancel, retry, a schedule's change
		var oe *OpError
		if !errors.As(err, &oe) || !errors.Is(oe.Err, ErrNotEmpty) || cleared[oe.Path] ||
			!t.deletes(oe.Index) || !t.s.layout.IsRecord(oe.Path) {
			return err
		}
		if cerr := t.s.moveChildrenAside(oe.Path); cerr != nil {
			// Both wrapped: a connection lost on the way leaves the outcome
			// unknown to the caller as to any other (ErrConnection).
			return fmt.Errorf("%w (moving aside what is under it: %w)", err, cerr)
		}
		if cleared == nil {
			cleared = map[string]bool{}
		}
		cleared[oe.Path] = true
	}
}

// deletes reports whether operation i deletes a znode.
func (t *Txn) deletes(i int) bool {
	if i < 0 || i >= len(t.ops) {
		return false
	}
	_, ok := t.ops[i].(*zk.DeleteRequest)
	return ok
}

func (t *Txn) commit() error {
	if len(t.ops) == 0 {
		return nil
	}
	res, err := t.s.conn.Multi(t.ops...)
	if err == nil {
		t.s.marks.committed(t.marked)
		if t.stamp >= 0 && t.stamp < len(res) && res[t.stamp].Stat != nil {
			t.zxid = res[t.stamp].Stat.Mzxid
			t.mtime = time.UnixMilli(res[t.stamp].Stat.Mtime)
		}
		return nil
	}
	for i, r := range res {
		if r.Error == nil || errors.Is(r.Error, zk.ErrAPIError) || isRuntimeInconsistency(r.Error) {
			continue
		}
		opErr := &OpError{Index: i, Path: t.paths[i], Err: t.s.mapErr(r.Error)}
		if i == 0 && t.fence != "" && (errors.Is(opErr.Err, ErrNoNode) || errors.Is(opErr.Err, ErrBadVersion)) {
			// The fence's own failure, named but not wrapped: a caller
			// that takes ErrNoNode for "already gone" must not take a
			// deposed leader's write for done.
			return fmt.Errorf("txn of %d ops: %w: %v", len(t.ops), ErrFenced, opErr)
		}
		return fmt.Errorf("txn of %d ops: %w", len(t.ops), opErr)
	}
	return fmt.Errorf("txn of %d ops: %w", len(t.ops), t.s.mapErr(err))
}

// isRuntimeInconsistency matches the code ZooKeeper gives the operations of a
// failed multi that were not themselves at fault.
func isRuntimeInconsistency(err error) bool {
	return err != nil && err.Error() == "unknown error: -2"
}

// FailedOp returns the index of the operation that made err's transaction fail,
// or -1.
func FailedOp(err error) int {
	var oe *OpError
	if errors.As(err, &oe) {
		return oe.Index
	}
	return -1
}

// createEphemeral adds an ephemeral znode, owned by the session that
// commits the transaction.
func (t *Txn) createEphemeral(path string, data []byte) *Txn {
	t.ops = append(t.ops, &zk.CreateRequest{Path: path, Data: data, Acl: t.s.acl, Flags: zk.FlagEphemeral})
	t.paths, t.size = append(t.paths, path), t.size+len(path)+len(data)
	return t
}

func (t *Txn) createSequential(prefix string, data []byte) *Txn {
	t.ops = append(t.ops, &zk.CreateRequest{Path: prefix, Data: data, Acl: t.s.acl, Flags: zk.FlagSequence})
	t.paths, t.size = append(t.paths, prefix), t.size+len(prefix)+len(data)
	return t
}
