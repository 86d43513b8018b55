package scheduler

import (
	"errors"
	"fmt"
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
	type bucket struct{ b1, b2 string }
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
			_, st, err := l.st.Exists(l.lay.ResultBucket(b1, b2))
			if err != nil {
				return err
			}
			buckets = append(buckets, bucket{b1, b2})
			total += int(st.NumChildren)
		}
	}
	pruned := 0
	for _, b := range buckets {
		old := windowEnd(b.b1, b.b2).Before(cutoff)
		over := cfg.MaxResults > 0 && total > cfg.MaxResults
		if !old && !over {
			break
		}
		dir := l.lay.ResultBucket(b.b1, b.b2)
		gone, err := l.emptyBucket(dir)
		if err != nil {
			return err
		}
		pruned += len(gone)
		total -= len(gone)
		l.deleteBucket(dir)
		if err := l.pruneKeys(b.b1, b.b2, gone); err != nil {
			return err
		}
	}
	if pruned > 0 {
		l.log.Info().Int("pruned", pruned).Int("kept", total).Msg("result retention applied")
	}
	return nil
}

// emptyBucket deletes every record in dir in fenced batches and returns the
// names it deleted.
func (l *leader) emptyBucket(dir string) (map[string]bool, error) {
	ids, err := l.st.Children(dir)
	if errors.Is(err, store.ErrNoNode) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	gone := map[string]bool{}
	for start := 0; start < len(ids); start += store.MaxBatch {
		part := ids[start:min(start+store.MaxBatch, len(ids))]
		txn := l.st.Txn().Fence(l.term.Fence, -1)
		for _, id := range part {
			txn.Delete(dir+"/"+id, -1)
		}
		if err := txn.Commit(); err != nil {
			if errors.Is(err, store.ErrFenced) || errors.Is(err, store.ErrConnection) {
				return gone, err
			}
			continue // a record went meanwhile; the next run gets the rest
		}
		for _, id := range part {
			gone[id] = true
		}
	}
	return gone, nil
}

// pruneKeys drops the idempotency keys of tasks of bucket b1/b2 whose results
// were just pruned (gone), with their key index entries: a key is kept as
// long as its task's result, and no longer. A key is deleted only when it
// still names the task; entries of tasks without a pruned result (not
// finished yet) stay for a later run.
func (l *leader) pruneKeys(b1, b2 string, gone map[string]bool) error {
	dir := l.lay.KeyIndexBucket(b1, b2)
	ids, err := l.st.Children(dir)
	if errors.Is(err, store.ErrNoNode) {
		return nil
	}
	if err != nil {
		return err
	}
	var entries []string
	for _, id := range ids {
		if gone[id] {
			entries = append(entries, dir+"/"+id)
		}
	}
	reads := l.st.GetMany(entries)
	// The key records the entries name, read to check they still name the
	// task; a malformed entry is moved aside.
	var keyPaths []string
	keyOf := make([]int, len(reads)) // entry -> index in keyPaths, or -1
	for i, rd := range reads {
		keyOf[i] = -1
		switch {
		case rd.Err != nil:
		case store.ValidKeyHash(string(rd.Data)):
			keyOf[i] = len(keyPaths)
			keyPaths = append(keyPaths, l.lay.Key(string(rd.Data)))
		default:
			reads[i].Err = store.ErrMalformed
			qerr := l.st.Quarantine(rd.Path, rd.Data, rd.Stat.Version, fmt.Errorf("%w: key index entry is not a key hash", store.ErrMalformed))
			if qerr != nil && !errors.Is(qerr, store.ErrNoNode) && !errors.Is(qerr, store.ErrBadVersion) {
				return qerr
			}
		}
	}
	keyReads := l.st.GetMany(keyPaths)
	dropped := 0
	for start := 0; start < len(reads); start += store.MaxBatch / 2 {
		txn := l.st.Txn().Fence(l.term.Fence, -1)
		for i := start; i < min(start+store.MaxBatch/2, len(reads)); i++ {
			rd := reads[i]
			if rd.Err != nil {
				continue
			}
			id := rd.Path[strings.LastIndexByte(rd.Path, '/')+1:]
			var rec store.KeyRecord
			if kr := keyReads[keyOf[i]]; kr.Err == nil && store.Decode(kr.Data, &rec) == nil && rec.Task == id {
				txn.Delete(kr.Path, kr.Stat.Version)
				dropped++
			}
			txn.Delete(rd.Path, rd.Stat.Version)
		}
		if err := txn.Commit(); err != nil {
			if errors.Is(err, store.ErrFenced) || errors.Is(err, store.ErrConnection) {
				return err
			}
			continue // something changed meanwhile; the next run looks again
		}
	}
	if dropped > 0 {
		l.log.Info().Int("keys", dropped).Str("bucket", b1+"/"+b2).Msg("idempotency keys of pruned results dropped")
	}
	l.deleteBucket(dir)
	l.deleteBucket(l.lay.KeyIndex() + "/" + b1)
	return nil
}

// windowEnd is when a bucket's time window ends.
func windowEnd(b1, b2 string) time.Time {
	prefix := b1 + b2
	if len(prefix) > ulid.EncodedSize {
		return time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC) // not a bucket of ours: never old
	}
	id, err := ulid.ParseStrict(prefix + strings.Repeat("Z", ulid.EncodedSize-len(prefix)))
	if err != nil {
		return time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC) // not a bucket of ours: never old
	}
	return ulid.Time(id.Time())
}
