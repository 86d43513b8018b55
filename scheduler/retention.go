package scheduler

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/drover-sched/drover/store"
)

// pruneEvery is how often the leader applies result retention, at most;
// pruneRest is how much longer than a pass's reading of the buckets took the
// leader waits before the next, so that on a cluster with very many result
// buckets retention reads ZooKeeper a tenth of the time, not all the time.
const (
	pruneEvery = time.Minute
	pruneRest  = 9
)

// startPrune runs a pass of result retention from a goroutine of the
// leader's, unless the last pass is still running, or its reading of the
// buckets ended less than pruneRest times that reading's length ago. A pass
// reads every result
// bucket: on a cluster that has run tasks every second for a week that is
// hundreds of thousands of reads, which the loop must not wait for (it did:
// a takeover over 20,000 buckets placed nothing for 16 s). The pass ends
// early when the term does (within 64 reads or one multi); its deletes are
// fenced, so a pass of a deposed leader deletes no result.
func (l *leader) startPrune() {
	if after := l.pruneAfter.Load(); after != nil && l.now().Before(*after) {
		return
	}
	l.goOnce(&l.pruning, func() {
		if err := l.pruneResults(); err != nil && !errors.Is(err, errTermOver) {
			l.log.Warn().Err(err).Msg("result retention pass failed; the next tries again")
		}
	})
}

// pruneReads is how many buckets a pass reads at once (GetMany's requests in
// flight).
const pruneReads = 64

// testHookPrune, when set by a test, runs at the start of each pass.
var testHookPrune func()

// pruneResults deletes finished records past the retention age (counted from
// submit time, which is what buckets results) and, when more than MaxResults
// remain, the oldest buckets beyond that count, so ZooKeeper's data stays flat
// in a long run. Deletes are fenced and batched; buckets are emptied, then
// removed. A first-level bucket's buckets are read with their requests
// pipelined.
func (l *leader) pruneResults() error {
	if testHookPrune != nil {
		testHookPrune()
	}
	start := l.now()
	cfg := l.s.cfg
	root := l.lay.Results()
	b1s, err := l.st.Children(root)
	if err != nil {
		return err
	}
	sort.Strings(b1s) // oldest first: ids, and so buckets, sort by time
	cutoff := l.now().Add(-cfg.ResultRetention)
	type bucket struct {
		b1, b2 string
		// late is when the bucket's last late result came (zero: none), see
		// store.LateResult: the bucket is old only once that is old too.
		late time.Time
	}
	var buckets []bucket
	total := 0
	for _, b1 := range b1s {
		if l.termOver() {
			return errTermOver
		}
		b2s, err := l.st.Children(root + "/" + b1)
		if errors.Is(err, store.ErrNoNode) {
			continue
		}
		if err != nil {
			return err
		}
		sort.Strings(b2s)
		if len(b2s) == 0 && store.BucketEnd(b1, "").Before(cutoff) {
			l.deleteBucket(root + "/" + b1)
			continue
		}
		paths := make([]string, len(b2s))
		for i, b2 := range b2s {
			paths[i] = l.lay.ResultBucket(b1, b2)
		}
		// A round of reads at a time, so that a term ending in an outage
		// does not wait for a thousand reads to fail.
		for from := 0; from < len(paths); from += pruneReads {
			if l.termOver() {
				return errTermOver
			}
			to := min(from+pruneReads, len(paths))
			for i, rd := range l.st.GetMany(paths[from:to]) {
				if errors.Is(rd.Err, store.ErrNoNode) {
					continue // emptied and removed meanwhile
				}
				if rd.Err != nil {
					return rd.Err
				}
				b := bucket{b1: b1, b2: b2s[from+i]}
				if rd.Stat.DataLength > 0 {
					b.late = rd.Stat.Mtime
				}
				buckets = append(buckets, b)
				total += int(rd.Stat.NumChildren)
			}
		}
	}
	read := l.now()
	after := read.Add(pruneRest * read.Sub(start))
	l.pruneAfter.Store(&after)
	pruned := 0
	for _, b := range buckets {
		if l.termOver() {
			return errTermOver
		}
		ended := store.BucketEnd(b.b1, b.b2).Before(cutoff)
		old := ended && b.late.Before(cutoff)
		over := cfg.MaxResults > 0 && total > cfg.MaxResults
		if !old && !over {
			if ended {
				continue // kept for a late result; newer buckets may be old
			}
			break
		}
		if !over {
			// Read again: a late result may have come since the bucket was
			// read, a while ago in a pass over very many buckets.
			_, st, err := l.st.Exists(l.lay.ResultBucket(b.b1, b.b2))
			if err != nil {
				return err
			}
			if st.DataLength > 0 && !st.Mtime.Before(cutoff) {
				continue
			}
		}
		n, err := l.emptyBucket(b.b1, b.b2)
		if err != nil {
			return err
		}
		pruned += n
		total -= n
		l.deleteBucket(l.lay.ResultBucket(b.b1, b.b2))
		l.deleteBucket(l.lay.KeyIndexBucket(b.b1, b.b2))
		l.deleteBucket(l.lay.KeyIndex() + "/" + b.b1)
	}
	if pruned > 0 {
		l.log.Info().Int("pruned", pruned).Int("kept", total).Msg("result retention applied")
	}
	l.log.Debug().Int("buckets", len(buckets)).Int("kept", total).Dur("took", l.now().Sub(start)).Msg("result retention pass")
	return nil
}

// emptyBucket deletes every result of bucket b1/b2 in fenced batches and
// returns how many it deleted. A result goes in the same transaction as its
// task's idempotency key (when the key still names the task) and key index
// entry: a key is kept as long as its task's result and no longer, however a
// run ends. Entries of tasks with no result here (not finished) stay.
func (l *leader) emptyBucket(b1, b2 string) (int, error) {
	dir := l.lay.ResultBucket(b1, b2)
	ids, err := l.st.Children(dir)
	if errors.Is(err, store.ErrNoNode) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	keys, err := l.keysOf(b1, b2, ids)
	if err != nil {
		return 0, err
	}
	deleted, dropped := 0, 0
	const perTxn = store.MaxBatch / 3 // a result, a key and an entry each
	for start := 0; start < len(ids); start += perTxn {
		if l.termOver() {
			return deleted, errTermOver
		}
		part := ids[start:min(start+perTxn, len(ids))]
		txn := l.st.Txn().Fence(l.term.Fence, -1)
		n := 0
		for _, id := range part {
			txn.Delete(dir+"/"+id, -1)
			if k, ok := keys[id]; ok {
				if k.key != "" {
					txn.Delete(k.key, k.keyVersion)
					n++
				}
				txn.Delete(k.entry, k.entryVersion)
			}
		}
		if err := txn.Commit(); err != nil {
			if errors.Is(err, store.ErrFenced) || errors.Is(err, store.ErrConnection) {
				return deleted, err
			}
			continue // something changed meanwhile; the next run looks again
		}
		deleted += len(part)
		dropped += n
	}
	if dropped > 0 {
		l.log.Info().Int("keys", dropped).Str("bucket", b1+"/"+b2).Msg("idempotency keys of pruned results dropped")
	}
	return deleted, nil
}

// keyOf is what goes with a pruned result: its key index entry and, when it
// still names the task, its key.
type keyOf struct {
	entry        string
	entryVersion int32
	key          string // "" when the key is gone or names another task
	keyVersion   int32
}

// keysOf reads the key index entries of the tasks of bucket b1/b2 that have
// a result (ids), and the keys they name. A malformed entry is moved aside.
func (l *leader) keysOf(b1, b2 string, ids []string) (map[string]keyOf, error) {
	dir := l.lay.KeyIndexBucket(b1, b2)
	indexed, err := l.st.Children(dir)
	if errors.Is(err, store.ErrNoNode) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	finished := make(map[string]bool, len(ids))
	for _, id := range ids {
		finished[id] = true
	}
	var entries []string
	for _, id := range indexed {
		if finished[id] {
			entries = append(entries, dir+"/"+id)
		}
	}
	reads := l.st.GetMany(entries)
	var keyPaths []string
	keyAt := make([]int, len(reads)) // entry -> index in keyPaths, or -1
	for i, rd := range reads {
		keyAt[i] = -1
		switch {
		case rd.Err != nil:
		case store.ValidKeyHash(string(rd.Data)):
			keyAt[i] = len(keyPaths)
			keyPaths = append(keyPaths, l.lay.Key(string(rd.Data)))
		default:
			reads[i].Err = store.ErrMalformed
			qerr := l.st.Quarantine(rd.Path, rd.Data, rd.Stat.Version, fmt.Errorf("%w: key index entry is not a key hash", store.ErrMalformed))
			if qerr != nil && !errors.Is(qerr, store.ErrNoNode) && !errors.Is(qerr, store.ErrBadVersion) {
				return nil, qerr
			}
		}
	}
	keyReads := l.st.GetMany(keyPaths)
	out := make(map[string]keyOf, len(reads))
	for i, rd := range reads {
		if rd.Err != nil {
			continue
		}
		id := rd.Path[strings.LastIndexByte(rd.Path, '/')+1:]
		k := keyOf{entry: rd.Path, entryVersion: rd.Stat.Version}
		var rec store.KeyRecord
		if kr := keyReads[keyAt[i]]; kr.Err == nil && store.Decode(kr.Data, &rec) == nil && rec.Task == id {
			k.key, k.keyVersion = kr.Path, kr.Stat.Version
		}
		out[id] = k
	}
	return out, nil
}
