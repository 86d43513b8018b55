package scheduler

import (
	"fmt"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
)

// TestReview169NewerScheduleRunNotAnIDCrashesRetention: a schedule record
// of a newer format ("v": 2) is "left in place and not fired" (FAILURES:
// not malformed), and since review161 its active runs are tracked by
// retention: applySchedule takes them with activeRunsOf, which reads the
// record's "active"[].task strings as they stand, without checking that
// they are task ids (DecodeSchedule checks those of a v1 record). Every
// retention pass then asks trackedResults for l.lay.Result(id), and
// store.Bucket slices id[:6] and id[6:8]: a run whose "task" is shorter
// than 8 bytes panics in the pass's goroutine and takes the whole
// scheduler process down, at the start of every term (the pass starts
// once the view is built), on every candidate in turn: no leader, no
// placement, until someone finds and deletes the record by hand.
// Expected (FAILURES, "malformed data in ZooKeeper"): the process carries
// on; a run that names no task is left out (or the record moved aside).
func TestReview169NewerScheduleRunNotAnIDCrashesRetention(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	lay := st.Layout()
	// What a newer release (or a hand) might write: the leader cannot
	// decode it, so does not judge it, but reads its runs.
	rec := fmt.Sprintf(`{"v":2,"name":"nightly","cron":"0 2 * * *","task":{"cmd":["true"]},"created_at":%q,"active":[{"slot":%q,"task":"x"}]}`,
		time.Now().UTC().Format(time.RFC3339), time.Now().UTC().Format(time.RFC3339))
	if err := st.Create(lay.Schedule("nightly"), []byte(rec)); err != nil {
		t.Fatal(err)
	}
	l, _, _ := termOf(t, st)
	if err := l.syncSchedules(); err != nil {
		t.Fatal(err)
	}
	if _, ok := l.newer["nightly"]; !ok {
		t.Fatalf("the v2 schedule was not left in place as a newer format's")
	}
	// What startPrune does in its goroutine, at the start of every term
	// and every minute: a panic there ends the process.
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("a retention pass panics on the newer-format schedule whose active run names %q (no task id): %v; in a running scheduler the pass runs in a goroutine, and the process dies at every term", "x", r)
			}
		}()
		l.tracked = l.trackedRuns()
		if err := l.pruneResults(); err != nil {
			t.Fatal(err)
		}
	}()
}
