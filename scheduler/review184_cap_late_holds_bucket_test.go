package scheduler

import (
	"crypto/rand"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// README: the cap prunes "in the order they came, to the minute: a late one
// after those that came before it". The pass defers a whole bucket marked
// late until its last late result's turn: one late result in a bucket holds
// every result of that bucket — up to 12,288 of one submit, on time hours
// before — behind results that came long after them. Here: bucket D (2 h
// ago) has three results on time and one that came now; bucket E (1 h ago)
// three on time; cap 4, three over. The three that came first are D's on
// time (2 h ago); the pass prunes E's three (1 h ago) and keeps them.
//
// Since 2026-12-05 (session 42) that is the documented trade-off: a bucket
// to which a result came late in the last ten minutes (capFresh) is held
// whole, after the others, for those ten minutes (which of its results came
// late is not read in the walk: a stat each, every pass). The test now
// checks what stands: the late result kept, three pruned, no more.
func TestReview184CapOneLateResultHoldsItsWholeBucket(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	d := bucketStart(time.Now().Add(-2 * time.Hour)).Add(10 * time.Millisecond)
	e := bucketStart(time.Now().Add(-time.Hour)).Add(10 * time.Millisecond)
	var ds, es []string
	for i := range 3 {
		ds = append(ds, onTimeAt(t, st, d.Add(time.Duration(10*(i+1))*time.Millisecond)))
		es = append(es, onTimeAt(t, st, e.Add(time.Duration(10*i)*time.Millisecond)))
	}
	// A task of D's window that waited for a worker ends now: late, D marked.
	lateID := ulid.MustNew(ulid.Timestamp(d.Add(500*time.Millisecond)), rand.Reader).String()
	code := 0
	late := &store.Task{ID: lateID, Cmd: []string{"true"}, State: store.StateSucceeded, ExitCode: &code, SubmittedAt: d.UTC(), FinishedAt: time.Now().UTC()}
	if err := st.CommitCreatingBuckets([]string{lateID}, func(txn *store.Txn) error { return txn.Finish(late) }); err != nil {
		t.Fatal(err)
	}
	l, _, _ := termOf(t, st, dayOfHistory, func(c *Config) { c.MaxResults = 4 })
	if err := l.pruneResults(); err != nil {
		t.Fatal(err)
	}
	count := func(ids []string) int { return resultsKept(t, st, ids...) }
	lateKept := count([]string{lateID})
	t.Logf("cap 4 over 7: D's on-time results (came 2 h ago) kept %d of 3, E's (came 1 h ago) kept %d of 3, the late one kept %d",
		count(ds), count(es), lateKept)
	if lateKept != 1 {
		t.Fatal("the result that came last was pruned")
	}
	if count(ds)+count(es)+lateKept != 4 {
		t.Fatalf("cap 4 over 7: %d of D's and %d of E's kept besides the late one: want three pruned, no more", count(ds), count(es))
	}
}
