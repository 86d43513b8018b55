package scheduler

import (
	"errors"
	"path"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// queuedAttempt reads task id's queue item.
func queuedAttempt(t *testing.T, st *store.Store, id string) *store.Task {
	t.Helper()
	data, _, err := st.Get(st.Layout().QueueItem(id))
	if err != nil {
		t.Fatal(err)
	}
	task, err := store.DecodeTask(data)
	if err != nil {
		t.Fatal(err)
	}
	return task
}

// A worker that leaves with a batch placed on it leaves its assignments and
// the batch's manifest: the attempts are queued again (never started) and placed on
// another worker once each, and the manifest goes with the directory.
func TestWorkerLeavingWithABatchLeavesNothingBehind(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	runScheduler(t, st, "s1")
	doomed := registerWorker(t, root, "doomed", 2, nil)
	ids := submit(t, st, 2, nil) // one transaction: placed in one batch
	dir := st.Layout().WorkerTasks("doomed")
	drovertest.WaitFor(t, 10*time.Second, "both placed on doomed", func() bool { return len(doomed.assignments(t)) == 2 })
	if n := drovertest.Manifests(t, st, dir); n != 1 {
		t.Fatalf("%d manifests in doomed's directory, want the batch's", n)
	}
	doomed.st.Close()
	waitGone(t, st, 10*time.Second, dir)
	spare := registerWorker(t, root, "spare", 2, nil)
	drovertest.WaitFor(t, 10*time.Second, "both placed on spare", func() bool { return len(spare.assignments(t)) == 2 })
	for _, id := range ids {
		a := assignment(t, st, "spare", id, 2)
		if len(a.History) != 1 || !a.History[0].Unstarted || a.History[0].Worker != "doomed" {
			t.Fatalf("%s: history %+v, want attempt 1 never started on doomed", id, a.History)
		}
	}
	if q := drovertest.QueuedIDs(t, st); len(q) != 0 {
		t.Fatalf("still queued: %v", q)
	}
}

// recoverWorkerDir ending early leaves the directory as it was, for the
// next term to recover: a request that fails with the connection (the
// listing, a manifest's or the directory's delete), or an attempt, a
// manifest or the directory that a deposed leader cannot delete. Nothing is
// lost: the next leader queues the attempt again and leaves nothing behind.
func TestRecoverWorkerDirErrors(t *testing.T) {
	cases := []struct {
		name              string
		attempt, manifest bool
		// freezeAt, when set, names the bytes of the request whose
		// connection is lost; otherwise the leader's fence goes.
		freezeAt func(dir, manifest string) []byte
		want     error
	}{
		{name: "listing, connection lost", attempt: true, manifest: true,
			freezeAt: func(dir, _ string) []byte { return []byte(dir) }, want: store.ErrConnection},
		{name: "attempt, fenced", attempt: true, manifest: true, want: store.ErrFenced},
		{name: "manifest, connection lost", manifest: true,
			freezeAt: func(_, m string) []byte { return []byte(m) }, want: store.ErrConnection},
		// A fenced delete failed as its fence's znode was missing, with
		// an error that matched ErrNoNode too, which recoverWorkerDir took
		// for the manifest or the directory gone already: it returned
		// nil, having deleted nothing. (Found by review.)
		{name: "manifest, fenced", manifest: true, want: store.ErrFenced},
		// The directory's delete at version -1: its path then 0xffffffff
		// on the wire (a manifest's path goes on with a "/").
		{name: "directory, connection lost",
			freezeAt: func(dir, _ string) []byte { return append([]byte(dir), 0xff, 0xff, 0xff, 0xff) }, want: store.ErrConnection},
		{name: "directory, fenced", want: store.ErrFenced},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := drovertest.NewRoot()
			st := drovertest.OpenStore(t, root)
			dir := st.Layout().WorkerTasks("gone")
			if err := st.EnsurePath(dir); err != nil {
				t.Fatal(err)
			}
			var id, attempt, manifest string
			if c.attempt {
				attempt = orphanAssignment(t, st, "gone", func(*store.Task) {})
				var err error
				if id, _, err = store.ParseAssignmentName(path.Base(attempt)); err != nil {
					t.Fatal(err)
				}
			}
			if c.manifest {
				manifest = dir + "/" + store.ManifestName(store.AssignmentName(ulid.Make().String(), 1))
				if err := st.Create(manifest, []byte("a copy")); err != nil {
					t.Fatal(err)
				}
			}
			lst := st
			var px *drovertest.Proxy
			if c.freezeAt != nil {
				px = drovertest.StartProxy(t, drovertest.Addr())
				lst = drovertest.OpenStoreAt(t, px.Addr(), root)
			}
			l, fence, stop := termOf(t, lst)
			if c.freezeAt != nil {
				px.FreezeAt(c.freezeAt(dir, manifest))
			} else if err := st.Delete(fence, -1); err != nil { // the session expired: the term is over
				t.Fatal(err)
			}
			err := l.recoverWorkerDir("gone")
			if c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("recover: %v, want %v", err, c.want)
			}
			if c.freezeAt != nil {
				if !px.Frozen() {
					t.Fatal("the request meant to be lost was not sent")
				}
				px.Cut(true)
				px.Cut(false)
				stop()
				if err := st.Delete(fence, -1); err != nil { // the term ends
					t.Fatal(err)
				}
			}
			stop()
			for _, p := range []string{dir, attempt, manifest} {
				if p == "" {
					continue
				}
				if ok, _, err := st.Exists(p); err != nil || !ok {
					t.Fatalf("%s gone after the recovery failed (%v)", p, err)
				}
			}
			if q := drovertest.QueuedIDs(t, st); len(q) != 0 {
				t.Fatalf("queued %v after the recovery failed", q)
			}
			// The next leader recovers it all.
			runScheduler(t, st, "s1")
			waitGone(t, st, 10*time.Second, dir)
			if c.attempt {
				if q := queuedAttempt(t, st, id); q.Attempt != 2 || len(q.History) != 1 || !q.History[0].Unstarted {
					t.Fatalf("queued attempt %d, history %+v: want attempt 2 after one never started", q.Attempt, q.History)
				}
			}
		})
	}
}
