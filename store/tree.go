package store

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
)

// treeFanout is how many of a directory's subtrees DeleteTree deletes at once.
const treeFanout = 8

// DeleteTree deletes path and every znode under it, and returns how many it
// deleted; a path that does not exist is no error. It lists each directory
// once and deletes what it lists in multis of up to MaxBatch, so a directory
// of leaves costs a listing and a multi per hundred names. Only a multi that
// meets a name with children of its own falls back to deleting its names one
// subtree at a time, several at once. Nothing fences it: it is for throwaway
// trees (drover bench's roots on an ensemble it did not start), and a writer
// still adding znodes there makes it fail with ErrNotEmpty.
func (s *Store) DeleteTree(ctx context.Context, path string) (int, error) {
	var n atomic.Int64
	err := s.deleteTree(ctx, path, &n)
	return int(n.Load()), err
}

func (s *Store) deleteTree(ctx context.Context, path string, n *atomic.Int64) error {
	kids, err := s.Children(path)
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
		err := txn.Commit()
		if err == nil {
			n.Add(int64(len(part)))
			continue
		}
		if !errors.Is(err, ErrNotEmpty) && !errors.Is(err, ErrNoNode) {
			return fmt.Errorf("delete under %s: %w", path, err)
		}
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(treeFanout)
		for _, k := range part {
			g.Go(func() error { return s.deleteTree(gctx, path+"/"+k, n) })
		}
		if err := g.Wait(); err != nil {
			return err
		}
	}
	if err := s.Delete(path, -1); err != nil {
		if errors.Is(err, ErrNoNode) {
			return nil
		}
		return err
	}
	n.Add(1)
	return nil
}
