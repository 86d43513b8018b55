package worker

import (
	"context"
	"errors"

	"github.com/drover-sched/drover/store"
)

// maxBatch bounds the writes one group commit carries (each is at most a
// delete and a create, so a batch stays well inside one multi).
const maxBatch = 50

// commitReq is one write (several ops) waiting for a group commit.
type commitReq struct {
	ids   []string // task ids whose buckets the ops may need
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

// commit queues a write and waits for its outcome.
func (b *batcher) commit(ctx context.Context, ids []string, build func(*store.Txn) error) error {
	req := &commitReq{ids: ids, build: build, done: make(chan error, 1)}
	select {
	case b.reqs <- req:
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once queued the write is committed or failed; wait for which, so the
	// caller never mistakes an applied write for an abandoned one.
	return <-req.done
}

// run commits queued writes until ctx ends; writes queued after that fail.
func (b *batcher) run(ctx context.Context) {
	for {
		var first *commitReq
		select {
		case first = <-b.reqs:
		case <-ctx.Done():
			b.failQueued(ctx.Err())
			return
		}
		batch := []*commitReq{first}
	gather:
		for len(batch) < maxBatch {
			select {
			case r := <-b.reqs:
				batch = append(batch, r)
			default:
				break gather
			}
		}
		b.commitBatch(batch)
	}
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
