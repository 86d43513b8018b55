package scheduler

import (
	"cmp"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"path"
	"slices"
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
// buckets ended less than pruneRest times that reading's length ago. A
// term's first pass reads every result bucket (later ones read those whose
// count may be stale, see resultCount): on a cluster that has run tasks
// every second for a week that is hundreds of thousands of reads, which the
// loop must not wait for (it did: a takeover over 20,000 buckets placed
// nothing for 16 s). The pass ends
// early when the term does (within 64 reads or one multi); its deletes are
// fenced, so a pass of a deposed leader deletes no result.
func (l *leader) startPrune() {
	if after := l.pruneAfter.Load(); after != nil && l.now().Before(*after) {
		return
	}
	if l.pruning.Load() {
		return
	}
	tracked := l.trackedRuns()
	l.goOnce(&l.pruning, func() {
		l.tracked = tracked
		if err := l.pruneResults(); err != nil && !errors.Is(err, errTermOver) {
			l.log.Warn().Err(err).Msg("result retention pass failed; the next tries again")
		}
	})
}

// trackedRuns returns the tasks of the runs the schedules hold active, in
// ZooKeeper too (a read ahead's filing is the view's until the firing: see
// cronEntry.filedAhead). A
// pass keeps their results: the leader files a run that ended into its
// schedule's history only at the schedule's next slot (or 10 s ahead of
// it), and a schedule whose slots come further apart than the retention (a
// monthly job; a daily one under --result-retention 12h; one paused) lost
// its run's outcome: pruned first, the run was filed as gone. Their number
// is bounded by the schedules' active runs (at most 100 each), and those
// with a result count not toward MaxResults (trackedResults: else, kept
// beyond it, they had every pass delete every other result, the newest
// too).
func (l *leader) trackedRuns() map[string]bool {
	tracked := map[string]bool{}
	for _, e := range l.schedules {
		for _, r := range e.rec.Active {
			tracked[r.Task] = true
		}
		for _, id := range e.filedAhead {
			tracked[id] = true
		}
	}
	for _, ids := range l.newerRuns { // records kept aside: a newer format's, an unknown zone's
		for _, id := range ids {
			tracked[id] = true
		}
	}
	return tracked
}

// trackedResults counts the results of the runs in tracked that have one
// (most are queued or running), which the pass keeps: they count not
// toward MaxResults. One that cannot be looked at counts not.
func (l *leader) trackedResults() int {
	ids := slices.Collect(maps.Keys(l.tracked))
	found := make([]bool, len(ids))
	store.Pipelined(len(ids), func(i int) { found[i], _, _ = l.st.Exists(l.lay.Result(ids[i])) })
	n := 0
	for _, ok := range found {
		if ok {
			n++
		}
	}
	return n
}

// pruneReads is how many buckets a pass reads at once (GetMany's requests in
// flight).
const pruneReads = 64

// testHookPrune, when set by a test, runs at the start of each pass.
var testHookPrune func()

// pruneResults applies result retention: results (pruneResultsBefore) and
// deadletter records (pruneDeadletters) older than the retention age go.
// The age is counted on the earlier of the leader's clock and ZooKeeper's,
// read at the start of the pass: a result's late mark and a deadletter
// record's creation are ZooKeeper's times, and a leader whose clock runs
// ahead must not prune them early (one behind prunes late, which is safe).
// Deadletter records are pruned however the results' part ended, unless the
// term did.
func (l *leader) pruneResults() error {
	if testHookPrune != nil {
		testHookPrune()
	}
	zkNow, err := l.st.ZookeeperNow(l.term.Fence)
	if errors.Is(err, store.ErrFenced) {
		return errTermOver
	}
	if err != nil {
		return fmt.Errorf("read ZooKeeper's clock: %w", err)
	}
	zkNow = zkNow.Add(l.s.cfg.zookeeperAhead)
	now := l.now()
	if zkNow.Before(now) {
		now = zkNow
	}
	cutoff := now.Add(-l.s.cfg.ResultRetention)
	// A bucket ages from its window's end, or from its late mark: a result
	// can come up to store.LateResult after either without marking it (a
	// result on time, or a writer's second late result within a minute of
	// its mark), so results are kept that much longer, and none goes before
	// the retention has passed from when it came.
	rerr := l.pruneResultsBefore(cutoff.Add(-store.LateResult), now)
	if errors.Is(rerr, errTermOver) || errors.Is(rerr, store.ErrFenced) {
		return rerr
	}
	return errors.Join(rerr, l.pruneDeadletters(cutoff))
}

// pruneResultsBefore deletes finished records submitted before cutoff (and
// that came before it, for one that came late) and, when more than
// MaxResults remain, the oldest buckets beyond that count, so ZooKeeper's
// data stays flat in a long run. Deletes are fenced and batched; buckets are
// emptied, then removed. A first-level bucket's buckets are read with their
// requests pipelined, and only when its summary from an earlier pass may be
// stale (resultCounts). A bucket that cannot be read, or whose results' keys
// cannot be, is passed over (kept; logged): one znode's fault, an ACL set by
// hand say, must not stop retention of everything after it.
func (l *leader) pruneResultsBefore(cutoff, now time.Time) error {
	start := l.now()
	cfg := l.s.cfg
	root := l.lay.Results()
	kept := l.trackedResults()
	b1s, err := l.st.Children(root)
	if err != nil {
		return err
	}
	// Names that are no bucket (made by hand) are left out, as under a
	// bucket (readResultBuckets): their window never ends, and the walk
	// would stop at them, keeping every bucket after them for ever.
	b1s = slices.DeleteFunc(b1s, func(b1 string) bool { return !store.IsBucket(b1, "") })
	sort.Strings(b1s) // oldest first: ids, and so buckets, sort by time
	// The first-level buckets' stats, to tell which summaries stand; one
	// removed meanwhile reads as empty (a zero stat).
	stats := make([]store.Stat, len(b1s))
	if err := l.readInRounds(len(b1s), func(i int) string { return root + "/" + b1s[i] }, func(i int, rd store.Read) {
		stats[i] = rd.Stat
	}); err != nil {
		return err
	}
	seen := make(map[string]bool, len(b1s))
	details := map[string][]resultBucket{} // read in this pass
	unread := map[string]bool{}            // passed over (passOver)
	total := 0
	for i, b1 := range b1s {
		seen[b1] = true
		if c, ok := l.resultCounts[b1]; ok && c.stands(stats[i], b1, l.now()) {
			total += c.count
			continue
		}
		if l.termOver() {
			return errTermOver
		}
		bs, err := l.readResultBuckets(b1)
		if nodeFault(err) {
			l.passOver(root+"/"+b1, err)
			unread[b1] = true
			continue
		}
		if err != nil {
			return err
		}
		if len(bs) == 0 && store.BucketEnd(b1, "").Before(cutoff) {
			// Its key index bucket first, if empty, and it only once that
			// is gone: the other way round, that delete failing once (a
			// lost connection, the term over) left it for good.
			l.deleteIndexThenResults(l.lay.KeyIndex()+"/"+b1, root+"/"+b1)
			delete(l.resultCounts, b1)
			continue
		}
		c := resultCount{pzxid: stats[i].Pzxid, mzxid: stats[i].Mzxid, read: l.now()}
		for _, b := range bs {
			c.count += b.count
			if b.late.After(c.late) {
				c.late = b.late
			}
		}
		total += c.count
		details[b1] = bs
		l.resultCounts[b1] = c
	}
	for b1 := range l.resultCounts {
		if !seen[b1] {
			delete(l.resultCounts, b1)
		}
	}
	read := l.now()
	after := read.Add(pruneRest * read.Sub(start))
	l.pruneAfter.Store(&after)
	pruned := 0
	// capped is how many results the cap (MaxResults) would have pruned yet.
	capped := func() int {
		if cfg.MaxResults <= 0 {
			return 0
		}
		return max(total-kept-cfg.MaxResults, 0)
	}
	prune := func(b1, b2 string, version int32, limit int, byArrival bool) error {
		n, err := l.emptyBucket(b1, b2, version, limit, byArrival)
		if nodeFault(err) {
			l.passOver(l.lay.ResultBucket(b1, b2), err)
			err = nil // what it deleted, it deleted
		}
		if err != nil {
			return err
		}
		pruned += n
		total -= n
		l.deleteIndexThenResults(l.lay.KeyIndexBucket(b1, b2), l.lay.ResultBucket(b1, b2))
		l.deleteBucket(l.lay.KeyIndex() + "/" + b1)
		return nil
	}
	// The cap prunes the oldest results first (by id: when they were
	// submitted), only as many as are over, but a bucket to which a result
	// came late lately (within capFresh) after all the others, in the
	// order those came: it emptied whole buckets (up to 12,288 results of
	// one submit, the newest too), and pruned a result that had just come,
	// and its key, first when it was a late one. Such a bucket is held
	// whole: which of its results came late is not read.
	freshSince := now.Add(-capFresh)
	type heldBucket struct {
		b1 string
		b  resultBucket
	}
	var held []heldBucket
walk:
	for _, b1 := range b1s {
		over := capped() > 0
		if !over && !store.BucketEnd(b1, "00").Before(cutoff) {
			break // no bucket here or after has ended before the cutoff
		}
		bs, ok := details[b1]
		if unread[b1] {
			continue
		}
		if !ok {
			var err error
			bs, err = l.readResultBuckets(b1)
			if nodeFault(err) {
				l.passOver(root+"/"+b1, err)
				continue
			}
			if err != nil {
				return err
			}
			total -= l.resultCounts[b1].count
			for _, b := range bs {
				total += b.count
			}
		}
		// Whatever happens below, the count is read again next pass: a
		// bucket emptied in part by a failed pass is still there.
		delete(l.resultCounts, b1)
		for _, b := range bs {
			if l.termOver() {
				return errTermOver
			}
			end := store.BucketEnd(b1, b.b2)
			ended := end.Before(cutoff)
			old := ended && b.late.Before(cutoff)
			if !old && capped() == 0 {
				if ended {
					continue // kept for a late result; newer buckets may be old
				}
				break walk
			}
			if old {
				// Read again, also when the cap binds: a late result may
				// have come since the bucket was read, a while ago in a pass
				// over very many buckets, the newest result of all.
				_, st, err := l.st.Exists(l.lay.ResultBucket(b1, b.b2))
				if nodeFault(err) {
					l.passOver(l.lay.ResultBucket(b1, b.b2), err)
					continue
				}
				if err != nil {
					return err
				}
				if late := l.lateOf(st); !late.Before(cutoff) {
					if capped() > 0 {
						// Under the cap it goes after the others.
						b.late = late
						held = append(held, heldBucket{b1, b})
					}
					continue
				}
				if err := prune(b1, b.b2, st.Version, -1, false); err != nil {
					return err
				}
				continue
			}
			// The cap alone.
			if b.late.After(end.Add(store.LateResult)) && b.late.After(freshSince) {
				held = append(held, heldBucket{b1, b})
				continue
			}
			if err := prune(b1, b.b2, -1, capped(), false); err != nil {
				return err
			}
		}
	}
	// Still over: the buckets held back, in the order their late results came.
	slices.SortStableFunc(held, func(a, b heldBucket) int { return a.b.late.Compare(b.b.late) })
	for _, h := range held {
		if capped() == 0 {
			break
		}
		if l.termOver() {
			return errTermOver
		}
		// Its results in the order they came: its late one came last.
		if err := prune(h.b1, h.b.b2, -1, capped(), true); err != nil {
			return err
		}
	}
	if pruned > 0 {
		l.log.Info().Int("pruned", pruned).Int("kept", total).Msg("result retention applied")
	}
	l.log.Debug().Int("buckets", len(b1s)).Int("read", len(details)).Int("kept", total).Dur("took_ms", l.now().Sub(start)).Msg("result retention pass")
	return nil
}

// deleteIndexThenResults deletes a key index bucket, and its result
// bucket only once the key index bucket is gone: only the result bucket
// brings a pass here, and a keyed submit makes the key index bucket after
// it, so a pass may find it still too young to delete (BucketGrace), still
// holding the key of a task that is queued yet (a long backoff, no worker
// with its labels), or fail to delete it (a lost connection, the term
// over). With the result bucket gone, no pass would come back to it, and
// it would stay for good.
func (l *leader) deleteIndexThenResults(index, results string) {
	if l.deleteBucket(index).IsZero() {
		if there, _, err := l.st.Exists(index); err == nil && !there {
			l.deleteBucket(results)
		}
	}
}

// capFresh is how lately a result must have come late to a bucket for the
// cap to keep the bucket past the others (see pruneResultsBefore).
const capFresh = 10 * time.Minute

// resultBucket is a second-level result bucket as a pass read it: its
// results, and when its last late result came at the latest (see lateOf):
// the bucket is old only once that is old too.
type resultBucket struct {
	b2    string
	count int
	late  time.Time
}

// lateOf is the latest a result bucket says a result of its came late: its
// late mark's write (store.LateResult), or its own creation, whichever is
// later. A bucket made after its window (retention pruned it, and a late
// result or a requeue made it anew) holds only results that came since,
// though no writer may have marked it: a writer that marked the bucket
// before it was pruned remembers that mark for a while (it marks once a
// LateResult), and another writer's requeue makes the bucket unmarked.
// Both are ZooKeeper's times. A bucket made on time ages from its window
// as before (its creation is the window's, give or take the clocks).
func (l *leader) lateOf(st store.Stat) time.Time {
	late := st.Ctime
	if l.s.cfg.historyMadeNow {
		late = time.Time{}
	}
	if st.DataLength > 0 && st.Mtime.After(late) {
		late = st.Mtime
	}
	return late
}

// testHookResultsRead, when set by a test, is called with each first-level
// result bucket a pass reads the buckets of.
var testHookResultsRead func(b1 string)

// readResultBuckets reads the buckets of first-level result bucket b1, a
// round of pruneReads at a time, oldest first.
func (l *leader) readResultBuckets(b1 string) ([]resultBucket, error) {
	if testHookResultsRead != nil {
		testHookResultsRead(b1)
	}
	b2s, err := l.st.Children(l.lay.Results() + "/" + b1)
	if errors.Is(err, store.ErrNoNode) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	sort.Strings(b2s)
	// Names that are no bucket (made by hand) are left out: their window
	// never ends, and the walk would stop at them.
	b2s = slices.DeleteFunc(b2s, func(b2 string) bool { return !store.IsBucket(b1, b2) })
	var out []resultBucket
	err = l.readInRounds(len(b2s), func(i int) string { return l.lay.ResultBucket(b1, b2s[i]) }, func(i int, rd store.Read) {
		b := resultBucket{b2: b2s[i], count: int(rd.Stat.NumChildren), late: l.lateOf(rd.Stat)}
		out = append(out, b)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// readInRounds reads the n znodes path(0) … path(n-1), pruneReads at a time
// with their requests pipelined, and gives each that exists to each, in
// order. One gone meanwhile (emptied and removed) is skipped, as is one
// that cannot be read (passOver): left out, it is neither counted nor
// pruned. A round at a
// time, so that a term ending in an outage does not wait for a thousand
// reads to fail: it returns errTermOver then.
func (l *leader) readInRounds(n int, path func(i int) string, each func(i int, rd store.Read)) error {
	for from := 0; from < n; from += pruneReads {
		if l.termOver() {
			return errTermOver
		}
		paths := make([]string, min(from+pruneReads, n)-from)
		for i := range paths {
			paths[i] = path(from + i)
		}
		for i, rd := range l.st.GetMany(paths) {
			if errors.Is(rd.Err, store.ErrNoNode) {
				continue
			}
			if nodeFault(rd.Err) {
				l.passOver(rd.Path, rd.Err)
				continue
			}
			if rd.Err != nil {
				return rd.Err
			}
			each(from+i, rd)
		}
	}
	return nil
}

// resultCount is a first-level result bucket's count of results as a pass
// read it, with the bucket's pzxid and mzxid, when, and the newest late
// mark under it then. A pass over a week of results every second reads
// ~600,000 buckets (some 90 s of reads); most are settled, and a later pass
// takes their count from here instead (stands).
type resultCount struct {
	pzxid, mzxid int64
	count        int
	read         time.Time
	late         time.Time // the newest late result mark among its buckets then
}

// Durations that decide whether a count stands: settleAfter past a
// first-level bucket's window, results on time have landed (a report held
// up by an outage can come later), and settleAfter past the newest late
// result marked under it, a backlog's results have (while one is drained
// they land late, most in buckets that had results already, and mark the
// first-level bucket only once a minute per writer); a count is taken without reading the
// buckets again for between half countsStand and countsStand, by bucket, so
// that the counts a takeover's first pass read do not all expire in one
// later pass.
const (
	settleAfter = 10 * time.Minute
	countsStand = time.Hour
)

// stands reports whether c still counts b1's results at now, its stat now
// being st. A bucket made or removed under b1 moves its pzxid; a result
// removed other than by retention (drover retry, store.Txn.Unfinish) writes
// b1's data, which moves its mzxid, so a count never stands too high. Results
// only come to a settled b1 late, and a late result marks b1 too, unless its
// writer marked it less than store.LateResult before: such a one is counted
// within countsStand, and whether a bucket is old enough to prune is read
// again before it is. Late results keep coming to a b1 whose last read found
// one marked lately (a backlog drained), so that one is read every pass.
func (c resultCount) stands(st store.Stat, b1 string, now time.Time) bool {
	h := fnv.New32a()
	h.Write([]byte(b1))
	half := uint32(countsStand / 2 / time.Second)
	standFor := countsStand/2 + time.Duration(h.Sum32()%half)*time.Second
	return st.Pzxid == c.pzxid && st.Mzxid == c.mzxid && now.Sub(c.read) < standFor &&
		c.read.After(store.BucketEnd(b1, "").Add(settleAfter)) && c.read.After(c.late.Add(settleAfter))
}

// emptyBucket deletes every result of bucket b1/b2 in fenced batches and
// returns how many it deleted. With version >= 0 each batch also checks the
// bucket is at that version, unmarked since it was found old: a late result
// that marks it between that read and the listing is not deleted with the
// rest. A result goes in the same transaction as its
// task's idempotency key (when the key still names the task) and key index
// entry: a key is kept as long as its task's result and no longer, however a
// run ends. Entries of tasks with no result here (not finished) stay, and
// so do the results of runs a schedule tracks yet (trackedRuns). A
// name that is no task id (made by hand) is no result: it is moved aside,
// not deleted with the results, and counted with them (the bucket's count
// held it).
//
// With limit >= 0 it deletes at most limit results, the oldest (by id, or
// with byArrival in the order they came: a stat each) of those it may delete
// (not tracked, their keys read): the cap's share. It reads the keys of no
// more of them than that takes.
func (l *leader) emptyBucket(b1, b2 string, version int32, limit int, byArrival bool) (int, error) {
	dir := l.lay.ResultBucket(b1, b2)
	ids, err := l.st.Children(dir)
	if errors.Is(err, store.ErrNoNode) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var junk []string
	ids = slices.DeleteFunc(ids, func(id string) bool {
		if store.ValidateTaskID(id) != nil {
			junk = append(junk, dir+"/"+id)
			return true
		}
		return false
	})
	deleted, err := l.moveJunkAside(junk, "in a result bucket")
	if err != nil {
		return deleted, err
	}
	ids = slices.DeleteFunc(ids, func(id string) bool { return l.tracked[id] })
	var keys map[string]keyOf
	if limit < 0 {
		if keys, err = l.keysOf(b1, b2, ids); err != nil {
			return deleted, err
		}
	} else {
		slices.Sort(ids) // ids sort by time
		if byArrival {
			if ids, err = l.byArrival(dir, ids); err != nil {
				return deleted, err
			}
		}
		keys = map[string]keyOf{}
		var chosen []string
		for from := 0; len(chosen) < limit && from < len(ids); {
			part := ids[from:min(from+limit-len(chosen), len(ids))]
			from += len(part)
			ks, err := l.keysOf(b1, b2, part)
			if err != nil {
				return deleted, err
			}
			for _, id := range part {
				k, ok := ks[id]
				if k.keep {
					continue
				}
				if ok { // an entry to delete with it
					keys[id] = k
				}
				chosen = append(chosen, id)
			}
		}
		ids = chosen
	}
	dropped := 0
	const perTxn = store.MaxBatch / 4 // a result, a key, its shard and an entry each
	for start := 0; start < len(ids); start += perTxn {
		if l.termOver() {
			return deleted, errTermOver
		}
		part := ids[start:min(start+perTxn, len(ids))]
		txn := l.st.Txn().Fence(l.term.Fence, -1)
		if version >= 0 {
			txn.Check(dir, version)
		}
		n, ops := 0, 0
		shards := map[string]bool{}
		for _, id := range part {
			if keys[id].keep || l.tracked[id] {
				continue
			}
			ops++
			txn.Delete(dir+"/"+id, -1)
			if k, ok := keys[id]; ok {
				if k.key != "" {
					txn.Delete(k.key, k.keyVersion)
					// Its shard moves on with it: a submit that read the
					// key (naming this task) after its shard, and finds
					// the task gone, must not take over the key another
					// submit makes anew meanwhile, at the same version
					// (store.Submit's take-over checks the shard).
					if shard := path.Dir(k.key); !shards[shard] {
						shards[shard] = true
						txn.Set(shard, nil, -1)
					}
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
		deleted += ops
		dropped += n
	}
	if dropped > 0 {
		l.log.Info().Int("keys", dropped).Str("bucket", b1+"/"+b2).Msg("idempotency keys of pruned results dropped")
	}
	return deleted, nil
}

// byArrival returns ids, results of dir sorted by id, in the order they
// came (their creation's zxid: ZooKeeper's own order, no clock's), those
// gone meanwhile left out (a delete of one fails its whole multi).
func (l *leader) byArrival(dir string, ids []string) ([]string, error) {
	czxid := make(map[string]int64, len(ids))
	oks, stats, errs := make([]bool, len(ids)), make([]store.Stat, len(ids)), make([]error, len(ids))
	store.Pipelined(len(ids), func(i int) { oks[i], stats[i], errs[i] = l.st.Exists(dir + "/" + ids[i]) })
	var out []string
	for i, id := range ids {
		if errs[i] != nil {
			return nil, errs[i]
		}
		if oks[i] {
			czxid[id] = stats[i].Czxid
			out = append(out, id)
		}
	}
	slices.SortStableFunc(out, func(a, b string) int { return cmp.Compare(czxid[a], czxid[b]) })
	return out, nil
}

// keyOf is what goes with a pruned result: its key index entry and, when it
// still names the task, its key.
type keyOf struct {
	keep         bool // its entry or key could not be read: the result stays
	entry        string
	entryVersion int32
	key          string // "" when the key is gone or names another task
	keyVersion   int32
}

// keysOf reads the key index entries of the tasks of bucket b1/b2 that have
// a result (ids), and the keys they name. A malformed entry or key record
// is moved aside. (The key of a malformed entry cannot be found from it: it
// goes when a submit with it finds its task gone, see store.Submit.)
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
	var entries, junk []string
	for _, id := range indexed {
		switch {
		case store.ValidateTaskID(id) != nil:
			// No task's entry (made by hand): left, the bucket never
			// empties, and neither it nor its result bucket ever goes.
			junk = append(junk, dir+"/"+id)
		case finished[id]:
			entries = append(entries, dir+"/"+id)
		}
	}
	if _, err := l.moveJunkAside(junk, "in a key index bucket"); err != nil {
		return nil, err
	}
	reads := l.st.GetMany(entries)
	kept := map[string]bool{} // tasks whose entry or key was not read
	var keyPaths []string
	keyAt := make([]int, len(reads)) // entry -> index in keyPaths, or -1
	for i, rd := range reads {
		keyAt[i] = -1
		switch {
		case nodeFault(rd.Err) && !errors.Is(rd.Err, store.ErrNoNode):
			// Not read, its result is not pruned either: deleted alone,
			// it left the entry and its key naming a task kept nowhere,
			// and no later pass finds them. The next pass tries again.
			l.passOver(rd.Path, rd.Err)
			kept[path.Base(rd.Path)] = true
		case rd.Err != nil && !errors.Is(rd.Err, store.ErrNoNode):
			return nil, fmt.Errorf("read key index entry %s: %w", rd.Path, rd.Err)
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
		kr := keyReads[keyAt[i]]
		if nodeFault(kr.Err) && !errors.Is(kr.Err, store.ErrNoNode) {
			l.passOver(kr.Path, kr.Err) // as an entry not read
			kept[id] = true
			continue
		}
		if kr.Err != nil && !errors.Is(kr.Err, store.ErrNoNode) {
			return nil, fmt.Errorf("read key %s: %w", kr.Path, kr.Err)
		}
		if kr.Err == nil {
			switch derr := store.Decode(kr.Data, &rec); {
			case derr == nil && rec.Task == id:
				k.key, k.keyVersion = kr.Path, kr.Stat.Version
			case errors.Is(derr, store.ErrMalformed):
				// The task's own key, unreadable: left, it would stay for
				// ever and refuse every submit with its key. (Read again
				// after its shard: a submit may be moving it aside too.)
				if err := l.st.MoveKeyAside(kr.Path); err != nil {
					return nil, err
				}
			}
		}
		out[id] = k
	}
	for id := range kept {
		out[id] = keyOf{keep: true}
	}
	return out, nil
}

// moveJunkAside moves the znodes at paths, whose names are no task id
// (made by hand, where only task ids belong: where, says the reason), to
// deadletter, each at the version read, and returns how many it moved. One
// gone or changed meanwhile is left to the next pass; one that cannot be
// read or moved is passed over.
func (l *leader) moveJunkAside(paths []string, where string) (int, error) {
	return l.moveAsideAs(paths, func(name string) error {
		return fmt.Errorf("%w: %s is no task id, %s", store.ErrMalformed, name, where)
	})
}

// moveAsideAs is moveJunkAside with the reason why(name) for each.
func (l *leader) moveAsideAs(paths []string, why func(name string) error) (int, error) {
	moved := 0
	for _, rd := range l.st.GetMany(paths) {
		switch {
		case errors.Is(rd.Err, store.ErrNoNode):
			continue
		case nodeFault(rd.Err):
			l.passOver(rd.Path, rd.Err)
			continue
		case rd.Err != nil:
			return moved, rd.Err
		}
		switch err := l.st.Quarantine(rd.Path, rd.Data, rd.Stat.Version, why(path.Base(rd.Path))); {
		case err == nil:
			moved++
		case errors.Is(err, store.ErrNoNode), errors.Is(err, store.ErrBadVersion):
		case nodeFault(err):
			l.passOver(rd.Path, err)
		default:
			return moved, err
		}
	}
	return moved, nil
}

// pruneDeadletters deletes the deadletter records created before cutoff
// and, beyond MaxDeadletters, the oldest, in fenced transactions. Operators
// read them (drover deadletter ls); a steady source of bad records (a newer
// Drover's, say) would otherwise grow the directory until its writers stop
// copying (store.MaxDeadletters). Sequential names sort by age, so the walk
// reads creation times only until the first young record.
func (l *leader) pruneDeadletters(cutoff time.Time) error {
	dir := l.lay.Deadletter()
	ok, st, err := l.st.Exists(dir)
	if err != nil || !ok || st.NumChildren == 0 {
		return err
	}
	names, err := l.st.Children(dir)
	if err != nil {
		return err
	}
	// Records (d-<seq>) sort by age; other names (made by hand) do not, and
	// one young sorting first ("a") held back every record behind it: they
	// are judged by their own age alone.
	var junk []string
	names = slices.DeleteFunc(names, func(n string) bool {
		if !deadletterRecord(n) {
			junk = append(junk, n)
			return true
		}
		return false
	})
	sort.Strings(names)
	// Junk past the cutoff goes for its age; the rest counts toward the cap.
	var oldJunk []string
	if len(junk) > 0 {
		stats := make([]store.Stat, len(junk))
		errs := make([]error, len(junk))
		store.Pipelined(len(junk), func(i int) { _, stats[i], errs[i] = l.st.Exists(dir + "/" + junk[i]) })
		for i, n := range junk {
			if errs[i] == nil && stats[i].Czxid != 0 && stats[i].Ctime.Before(cutoff) {
				oldJunk = append(oldJunk, n)
			}
		}
	}
	drop := max(0, len(names)+len(junk)-len(oldJunk)-l.s.cfg.MaxDeadletters)
	drop = min(drop, len(names))
	for young := false; !young && drop < len(names); {
		if l.termOver() {
			return errTermOver
		}
		next := names[drop:min(drop+pruneReads, len(names))]
		stats := make([]store.Stat, len(next))
		errs := make([]error, len(next))
		store.Pipelined(len(next), func(i int) { _, stats[i], errs[i] = l.st.Exists(dir + "/" + next[i]) })
		for i := range next {
			if errs[i] != nil {
				return errs[i]
			}
			if stats[i].Czxid != 0 && !stats[i].Ctime.Before(cutoff) {
				young = true
				break
			}
			drop++ // old, or gone (a zero stat)
		}
	}
	doomed := append(slices.Clip(names[:drop]), oldJunk...)
	deleted := 0
	for start := 0; start < len(doomed); start += store.MaxBatch {
		if l.termOver() {
			return errTermOver
		}
		part := doomed[start:min(start+store.MaxBatch, len(doomed))]
		txn := l.st.Txn().Fence(l.term.Fence, -1)
		for _, name := range part {
			txn.Delete(dir+"/"+name, -1)
		}
		err := txn.Commit()
		if err == nil {
			deleted += len(part)
		} else if errors.Is(err, store.ErrNoNode) && !errors.Is(err, store.ErrFenced) {
			// One went meanwhile (deleted by hand): one at a time.
			err = nil
			for _, name := range part {
				e := l.st.Txn().Fence(l.term.Fence, -1).Delete(dir+"/"+name, -1).Commit()
				if e == nil {
					deleted++
				} else if errors.Is(e, store.ErrFenced) || !errors.Is(e, store.ErrNoNode) {
					err = e
					break
				}
			}
		}
		if errors.Is(err, store.ErrFenced) {
			return errTermOver // a fenced delete's failed check reads as ErrNoNode too
		}
		if err != nil {
			return fmt.Errorf("prune deadletter: %w", err)
		}
	}
	if deleted > 0 {
		l.log.Info().Int("pruned", deleted).Int("kept", len(names)+len(junk)-len(doomed)).Msg("deadletter records pruned")
	}
	return nil
}

// deadletterRecord reports whether name is a deadletter record's, d-<seq>
// (ZooKeeper's ten-digit sequence number, so that they sort by age).
func deadletterRecord(name string) bool {
	seq, ok := strings.CutPrefix(name, "d-")
	return ok && len(seq) >= 10 && strings.Trim(seq, "0123456789") == ""
}

// nodeFault reports whether err is one znode's (an ACL that refuses the
// read, set by hand say) rather than the connection's, the session's or the
// term's: a pass goes on past such a znode, keeping what it holds.
func nodeFault(err error) bool {
	return err != nil && !errors.Is(err, errTermOver) && !errors.Is(err, store.ErrFenced) &&
		!errors.Is(err, store.ErrConnection) && !errors.Is(err, store.ErrSessionExpired) &&
		!errors.Is(err, store.ErrClosed)
}

// passOver logs a znode that a retention pass keeps because it could not
// read it; the next pass tries again.
func (l *leader) passOver(p string, err error) {
	l.log.Warn().Err(err).Str("znode", p).Msg("result retention passes over a znode it cannot read; kept, and tried again next pass")
}
