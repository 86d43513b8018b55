package main

import (
	"strings"
	"testing"
	"time"
)

// README, exit codes: "130 when a client command is interrupted ... within
// a second even over a link gone silent (a change in flight then may or may
// not have landed ...)". 585cb36's runClient keeps only an exitError's own
// message after an interrupt that closed the store; every other error of
// the command now gets "interrupted (ZooKeeper did not answer)", the clause
// "a change in flight may or may not have landed" dropped. drover schedule
// rm interrupted (SIGINT) with its tombstone write sent and never answered
// fails with client.ErrUnconfirmed ("outcome unknown"), which is no
// exitError: the user is no longer told the removal may have landed.
func TestReview166InterruptedScheduleRmLosesInDoubt(t *testing.T) {
	root := newRoot()
	if r := drover(t, root, "schedule", "add", "r166", "--cron", "@hourly", "--suspend", "--", "true"); r.code != 0 {
		t.Fatalf("schedule add: %+v", r)
	}
	// The tombstone's set: sent, never applied.
	r := interruptAt(t, root, `"removed":true`, 20*time.Second, "schedule", "rm", "r166")
	code, stderr, out := r.code, r.stderr, r.stdout
	if code != 130 {
		t.Fatalf("schedule rm interrupted: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	if !strings.Contains(stderr, "may or may not") && !strings.Contains(stderr, "unknown") {
		t.Errorf("schedule rm interrupted (SIGINT) with its write in flight over a silent link: the message does not say the removal may have landed:\n%s", stderr)
	}
}
