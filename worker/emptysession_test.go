package worker

import (
	"context"
	"os"
	"os/exec"
	"testing"
)

// Where taken cannot tell a number free (a kernel before 4.17, on which
// F_SETOWN to a group never fails with ESRCH, or /dev/null not opened),
// every command's end walks /proc: that walk finds no process of a reaped,
// empty session and must end there, not go on for killWithin because the
// number "may" still be taken.
func TestEmptySessionKillIsOneWalkWhenTakenCannotTell(t *testing.T) {
	saved := ownerProbe
	ownerProbe = func() *os.File { return nil } // taken says "maybe" for every number
	t.Cleanup(func() { ownerProbe = saved })

	cmd := exec.Command("true")
	cmd.SysProcAttr = commandAttr(nil)
	if err := startCommand(context.Background(), cmd, nil); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if !taken(cmd.Process.Pid) {
		t.Fatal("taken tells with no probe")
	}
	if n := killSessions(map[int]bool{cmd.Process.Pid: true}, killWithin); n != 1 {
		t.Errorf("the kill of a reaped, empty session walked /proc %d times, want 1", n)
	}
}
