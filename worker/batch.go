package worker

import (
	"context"
	"errors"

	"github.com/drover-sched/drover/store"
)

// maxBatch bounds the writes one group commit carries (each is a few
// operations: a delete and a create, and a late result's two small marks;
// maxBatchBytes bounds the bytes).
const maxBatch = 50

// maxBatchBytes bounds the data one group commit carries. ZooKeeper drops the
// connection of a client whose request exceeds jute.maxbuffer (1 MiB by
// default), and a report with full output tails is ~130 KiB: without a byte
// budget a handful of chatty attempts finishing together would cut the
// worker's connection instead of being committed.
const maxBatchBytes = 512 * 1024

// commitReq is one write (several ops) waiting for a group commit.
type commitReq struct {
	ids   []string // task ids whose buckets the ops may need
	size  int      // bytes the ops write (data plus paths), for maxBatchBytes
	build func(*store.Txn) error
	done  chan error
}

// batcher commits the writes of many attempts (running marks, reports) in one
// ZooKeeper multi each time: while one commit is in flight the next batch
// gathers, so the transaction rate stays low however many attempts finish. A
// batch that fails is retried write by write, so one withdrawn assignment cannot
// reject the others.
type batcher struct {
	st   *store.Store
	reqs chan *commitReq
}

func newBatcher(st *store.Store) *batcher {
	return &batcher{st: st, reqs: make(chan *commitReq, 4*maxBatch)}
}

// commit queues a write of about size bytes and waits for its outcome.
func (b *batcher) commit(ctx context.Context, ids []string, size int, build func(*store.Txn) error) error {
	return b.commitQueued(ctx, ids, size, build, nil)
}

// commitQueued is commit calling queued, when not nil, once the write is
// in line: one commit loop takes the writes in the order queued, so the
// write commits no later than any queued after queued returns (a batch
// that fails is tried again write by write, in the same order).
func (b *batcher) commitQueued(ctx context.Context, ids []string, size int, build func(*store.Txn) error, queued func()) error {
	req := &commitReq{ids: ids, size: size, build: build, done: make(chan error, 1)}
	select {
	case b.reqs <- req:
	case <-ctx.Done():
		return ctx.Err()
	}
	if queued != nil {
		queued()
	}
	// Once queued the write is committed or failed; wait for which, so the
	// caller never mistakes an applied write for an abandoned one.
	return <-req.done
}

// run commits queued writes until ctx ends; writes queued after that fail.
func (b *batcher) run(ctx context.Context) {
	var carry *commitReq // taken from the queue but left for the next batch
	for {
		first := carry
		if first == nil {
			select {
			case first = <-b.reqs:
			case <-ctx.Done():
				b.failQueued(ctx.Err())
				return
			}
		}
		var batch []*commitReq
		batch, carry = b.gather(first)
		b.commitBatch(batch)
	}
}

// gather adds the writes already queued behind first, up to maxBatch writes
// and maxBatchBytes; a write that would overflow the budget is returned as
// carry, to open the next batch. first always goes, whatever its size.
func (b *batcher) gather(first *commitReq) (batch []*commitReq, carry *commitReq) {
	batch, size := []*commitReq{first}, first.size
	for len(batch) < maxBatch {
		select {
		case r := <-b.reqs:
			if size+r.size > maxBatchBytes {
				return batch, r
			}
			batch, size = append(batch, r), size+r.size
		default:
			return batch, nil
		}
	}
	return batch, nil
}

func (b *batcher) failQueued(err error) {
	for {
		select {
		case r := <-b.reqs:
			r.done <- err
		default:
			return
		}
	}
}

func (b *batcher) commitBatch(batch []*commitReq) {
	if len(batch) > 1 {
		var ids []string
		for _, r := range batch {
			ids = append(ids, r.ids...)
		}
		err := b.st.CommitCreatingBuckets(ids, func(txn *store.Txn) error {
			for _, r := range batch {
				if err := r.build(txn); err != nil {
					return err
				}
			}
			return nil
		})
		if err == nil || errors.Is(err, store.ErrConnection) {
			// All applied, or the outcome of all is unknown: each caller
			// handles that as for a write of its own.
			for _, r := range batch {
				r.done <- err
			}
			return
		}
	}
	for _, r := range batch {
		r.done <- b.st.CommitCreatingBuckets(r.ids, r.build)
	}
}
