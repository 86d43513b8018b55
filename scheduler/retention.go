package scheduler

import (
	"errors"
	"sort"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/store"
)

// pruneEvery is how often the leader applies result retention.
const pruneEvery = time.Minute

// pruneResults deletes finished records past the retention age (counted from
// submit time, which is what buckets results) and, when more than MaxResults
// remain, the oldest buckets beyond that count, so ZooKeeper's data stays flat
// in a long run. Deletes are fenced and batched; buckets are emptied, then
// removed.
func (l *leader) pruneResults() error {
	cfg := l.s.cfg
	root := l.lay.Results()
	b1s, err := l.st.Children(root)
	if err != nil {
		return err
	}
	sort.Strings(b1s) // oldest first: ids, and so buckets, sort by time
	cutoff := l.now().Add(-cfg.ResultRetention)
	type bucket struct {
		dir string
		n   int
	}
	var buckets []bucket
	total := 0
	for _, b1 := range b1s {
		b2s, err := l.st.Children(root + "/" + b1)
		if errors.Is(err, store.ErrNoNode) {
			continue
		}
		if err != nil {
			return err
		}
		sort.Strings(b2s)
		if len(b2s) == 0 && windowEnd(b1, "").Before(cutoff) {
			l.deleteBucket(root + "/" + b1)
			continue
		}
		for _, b2 := range b2s {
			dir := root + "/" + b1 + "/" + b2
			_, st, err := l.st.Exists(dir)
			if err != nil {
				return err
			}
			buckets = append(buckets, bucket{dir: dir, n: int(st.NumChildren)})
			total += int(st.NumChildren)
		}
	}
	pruned := 0
	for _, b := range buckets {
		rel := strings.TrimPrefix(b.dir, root+"/")
		b1, b2, _ := strings.Cut(rel, "/")
		old := windowEnd(b1, b2).Before(cutoff)
		over := cfg.MaxResults > 0 && total > cfg.MaxResults
		if !old && !over {
			break
		}
		n, err := l.emptyBucket(b.dir)
		if err != nil {
			return err
		}
		pruned += n
		total -= n
		l.deleteBucket(b.dir)
	}
	if pruned > 0 {
		l.log.Info().Int("pruned", pruned).Int("kept", total).Msg("result retention applied")
	}
	return nil
}

// emptyBucket deletes every record in dir in fenced batches.
func (l *leader) emptyBucket(dir string) (int, error) {
	ids, err := l.st.Children(dir)
	if errors.Is(err, store.ErrNoNode) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n := 0
	for start := 0; start < len(ids); start += store.MaxBatch {
		txn := l.st.Txn().Fence(l.term.Fence, -1)
		for _, id := range ids[start:min(start+store.MaxBatch, len(ids))] {
			txn.Delete(dir+"/"+id, -1)
		}
		if err := txn.Commit(); err != nil {
			if errors.Is(err, store.ErrFenced) || errors.Is(err, store.ErrConnection) {
				return n, err
			}
			continue // a record went meanwhile; the next run gets the rest
		}
		n += txn.Len() - 1
	}
	return n, nil
}

// windowEnd is when a bucket's time window ends.
func windowEnd(b1, b2 string) time.Time {
	prefix := b1 + b2
	id, err := ulid.ParseStrict(prefix + strings.Repeat("Z", ulid.EncodedSize-len(prefix)))
	if err != nil {
		return time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC) // not a bucket of ours: never old
	}
	return ulid.Time(id.Time())
}
