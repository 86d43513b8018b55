package scheduler

import (
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// TestRetentionCountsAResultMovedAside: a result moved to deadletter (it
// does not decode: drover status, wait, the web API or the leader's look at
// a schedule's runs move it with store.Quarantine) under a settled
// first-level bucket leaves the count the leader keeps too high, as a retry
// did (TestRetentionCountsARetry): Quarantine writes nothing to the
// first-level bucket, so its pzxid and mzxid stand, and --max-results at the
// true count prunes a result it should keep. (review5)
func TestRetentionCountsAResultMovedAside(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	now := time.Now()
	var ids []string
	for h := 8; h >= 3; h-- { // six results, one per first-level bucket
		at := now.Add(-time.Duration(h) * time.Hour)
		id := ulid.MustNew(ulid.Timestamp(at), rand.Reader).String()
		code := 0
		task := &store.Task{ID: id, Cmd: []string{"true"}, State: store.StateSucceeded, ExitCode: &code, SubmittedAt: at, FinishedAt: at}
		if err := st.CommitCreatingBuckets([]string{id}, func(txn *store.Txn) error { return txn.Finish(task) }); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	s, err := New(Config{ID: "s1", Store: st, Log: drovertest.Logger(t), ResultRetention: 24 * time.Hour, MaxResults: 100})
	if err != nil {
		t.Fatal(err)
	}
	l := newLeader(s, &Term{Fence: st.Layout().Root}, 1)
	defer l.stop()
	if err := l.pruneResults(); err != nil { // reads and keeps the counts
		t.Fatal(err)
	}
	// The newest result turns out not to decode, and is moved aside.
	bad := st.Layout().Result(ids[5])
	stat, err := st.Set(bad, []byte("junk"), -1)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Quarantine(bad, []byte("junk"), stat.Version, fmt.Errorf("%w: junk", store.ErrMalformed)); err != nil {
		t.Fatal(err)
	}
	s.cfg.MaxResults = 5 // five remain
	if err := l.pruneResults(); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids[:5] {
		if _, _, err := st.Get(st.Layout().Result(id)); err != nil {
			t.Errorf("result %s of 5 left with --max-results 5: %v", id, err)
		}
	}
}
