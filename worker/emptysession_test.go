package worker

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/drover-sched/drover/store"
)

// Where taken cannot tell a number free (a kernel before 4.17, on which
// F_SETOWN to a group never fails with ESRCH, or /dev/null not opened at
// the first call), every command's end walks /proc: that walk finds no
// process of a reaped, empty session and must end there, as it did, not go
// on for killWithin because the number "may" still be taken.
func TestEmptySessionKillIsOneWalkWhenTakenCannotTell(t *testing.T) {
	saved := ownerProbe
	ownerProbe = func() *os.File { return nil } // taken says "maybe" for every number
	t.Cleanup(func() { ownerProbe = saved })

	start := time.Now()
	out := runCmd(t, context.Background(), &store.Task{Cmd: []string{"true"}})
	took := time.Since(start)
	if !out.ok() {
		t.Fatalf("outcome %+v", out)
	}
	// `true` and one walk of /proc take milliseconds; killWithin is a second.
	if took >= killWithin/2 {
		t.Errorf("running `true` took %v: the kill of its empty session went on walking /proc for up to killWithin (%v)", took, killWithin)
	}
}
