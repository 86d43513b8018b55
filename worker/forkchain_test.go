package worker

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/drover-sched/drover/store"
)

// forkChain is a Perl program that moves to a process group of its own,
// writes that group's id to argv[2], then forks on and on, each parent
// exiting as soon as its child is born, until argv[0] exists: one process
// of the session lives at a time, none for long. Every 100th appends a byte
// to argv[1].
const forkChain = `use POSIX; setpgid(0, 0); open(my $g, ">", $ARGV[2] . ".tmp"); print $g $$; close($g);
rename($ARGV[2] . ".tmp", $ARGV[2]); my $n = 0;
while (1) { POSIX::_exit(0) if -e $ARGV[0];
  if (++$n % 100 == 0) { open(my $f, ">>", $ARGV[1]); print $f "x"; close($f); }
  my $p = fork; POSIX::_exit(0) if !defined($p) || $p; }`

// A process of the command's session that forks faster than the session's
// walk of /proc reaches it (each parent gone before the walk reads it, each
// child born after the walk listed /proc) dies with the attempt all the
// same: the kill goes on while the session has a process left. Attempts
// run four at once, as on a busy worker.
func TestExecuteKillsAForkChainInAGroupOfItsOwn(t *testing.T) {
	if _, err := exec.LookPath("perl"); err != nil {
		t.Skip("no perl")
	}
	const attempts = 4
	dir := t.TempDir()
	stop := dir + "/stop"
	count := func(i int) string { return fmt.Sprintf("%s/count%d", dir, i) }
	group := func(i int) string { return fmt.Sprintf("%s/pgid%d", dir, i) }
	// A chain that escaped is ended by its process group (a kill of a
	// group reaches every member at once), before the directory goes.
	t.Cleanup(func() {
		_ = os.WriteFile(stop, nil, 0o644)
		for i := range attempts {
			var pgid int
			if b, err := os.ReadFile(group(i)); err == nil {
				if _, err := fmtSscan(string(b), &pgid); err == nil && pgid > 1 {
					_ = syscall.Kill(-pgid, syscall.SIGKILL)
				}
			}
		}
	})
	hundreds := func(i int) int64 {
		fi, err := os.Stat(count(i))
		if err != nil {
			return 0
		}
		return fi.Size()
	}
	ended := make(chan [2]int64, attempts) // attempt, hundreds of forks when it ended
	for i := range attempts {
		task := &store.Task{Cmd: []string{"sh", "-c",
			`perl -e '` + forkChain + `' "$0" "$1" "$2" </dev/null >/dev/null 2>&1 &
while [ ! -s "$1" ]; do sleep 0.01; done`, stop, count(i), group(i)}}
		go func() {
			out := runCmd(t, context.Background(), task)
			if !out.ok() {
				t.Errorf("outcome %+v", out)
			}
			ended <- [2]int64{int64(i), hundreds(i)}
		}()
	}
	at := make([]int64, attempts)
	for range attempts {
		e := <-ended
		at[e[0]] = e[1]
	}
	// Killed, a chain forks no more; escaped, it adds a byte every 100
	// forks. Give the chains time for a few hundred.
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		for i := range attempts {
			if n := hundreds(i); n >= at[i]+2 {
				t.Fatalf("attempt %d's chain forked %d00 times more after the attempt ended: it escaped the kill of its session", i, n-at[i])
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
}
