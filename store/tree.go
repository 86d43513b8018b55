package store

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
)

// treeFanout bounds DeleteTree: how many of a directory's subtrees it walks
// at once, and how many requests it has in flight in all.
const treeFanout = 8

// DeleteTree deletes path and every znode under it, and returns how many it
// deleted; a path that does not exist is no error, "/" is refused. It lists
// each directory once and deletes what it lists in multis of up to MaxBatch,
// so a directory of leaves costs a listing and a multi per hundred names.
// Only a multi that meets a name with children of its own falls back to
// deleting its names one subtree at a time, several at once; at most
// treeFanout requests are in flight in all. Nothing fences it: it is for
// throwaway trees (drover bench's roots on an ensemble it did not start), and
// a writer still adding znodes there makes it fail with ErrNotEmpty.
func (s *Store) DeleteTree(ctx context.Context, path string) (int, error) {
	if !isAbsPath(path) {
		return 0, fmt.Errorf("delete tree %q: %w", path, ErrInvalidName)
	}
	t := &treeDeletion{requests: make(chan struct{}, treeFanout)}
	err := s.deleteTree(ctx, path, t)
	return int(t.n.Load()), err
}

// treeDeletion is one DeleteTree's count and its bound on requests in
// flight, shared by every level of the walk.
type treeDeletion struct {
	n        atomic.Int64 // znodes deleted
	requests chan struct{}
}

// request runs one ZooKeeper request within the bound.
func (t *treeDeletion) request(ctx context.Context, fn func() error) error {
	select {
	case t.requests <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-t.requests }()
	return fn()
}

func (s *Store) deleteTree(ctx context.Context, path string, t *treeDeletion) error {
	var kids []string
	err := t.request(ctx, func() (err error) {
		kids, err = s.Children(path)
		return err
	})
	if errors.Is(err, ErrNoNode) {
		return nil
	}
	if err != nil {
		return err
	}
	for start := 0; start < len(kids); start += MaxBatch {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("delete %s: %w", path, err)
		}
		part := kids[start:min(start+MaxBatch, len(kids))]
		txn := s.Txn()
		for _, k := range part {
			txn.Delete(path+"/"+k, -1)
		}
		err := t.request(ctx, txn.Commit)
		if err == nil {
			t.n.Add(int64(len(part)))
			continue
		}
		if !errors.Is(err, ErrNotEmpty) && !errors.Is(err, ErrNoNode) {
			return fmt.Errorf("delete under %s: %w", path, err)
		}
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(treeFanout)
		for _, k := range part {
			g.Go(func() error { return s.deleteTree(gctx, path+"/"+k, t) })
		}
		if err := g.Wait(); err != nil {
			return err
		}
	}
	if err := t.request(ctx, func() error { return s.Delete(path, -1) }); err != nil {
		if errors.Is(err, ErrNoNode) {
			return nil
		}
		return err
	}
	t.n.Add(1)
	return nil
}
