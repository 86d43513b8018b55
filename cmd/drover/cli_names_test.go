package main

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// ZooKeeper refuses path elements holding characters its PathUtils rejects:
// any outside the Basic Multilingual Plane (Java keeps them as surrogate
// pairs, U+D800–U+DFFF), the private use area (U+E000–U+F8FF) and
// U+FFF0–U+FFFF. store.ValidateName lets them through, so a schedule name
// or a --root holding an emoji passed validation and failed at the create:
// exit 1, "create /drover/schedules/a😀: invalid arguments" (or "zk:
// invalid path"), where bad input is one line naming the field, exit 2.
func TestNamesZooKeeperRefusesAreBadInput(t *testing.T) {
	root := newRoot()
	makeCluster(t, root)
	for _, name := range []string{"nightly-\U0001F600", "nightly-\uE000", "nightly-\uFFF0"} {
		t.Run(name, func(t *testing.T) {
			r := drover(t, root, "schedule", "add", name, "--cron", "@hourly", "--suspend", "--", "true")
			if r.code != 2 {
				t.Fatalf("schedule add %q: exit %d, stderr %q; want 2, one line naming the schedule name", name, r.code, r.stderr)
			}
			oneLineError(t, r, 2, "name")
		})
	}
	t.Run("root", func(t *testing.T) {
		r := drover(t, "/drover-\U0001F600", "submit", "--", "true")
		if r.code != 2 {
			t.Fatalf("--root /drover-\U0001F600 submit: exit %d, stderr %q; want 2, one line naming --root", r.code, r.stderr)
		}
		oneLineError(t, r, 2, "root")
	})
}

// A worker --id ZooKeeper cannot take as a znode name passed the flag check
// and the worker retried its registration for ever ("register w😀: create
// /drover/workers/w😀: invalid arguments", warn, backing off to 5 s), never
// serving and never exiting: an --id of 129 bytes or with a space is
// refused at once, exit 2.
func TestWorkerIDZooKeeperRefusesIsBadInput(t *testing.T) {
	root := newRoot()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "--zk", zkAddr, "--root", root, "--session-timeout", "2s",
		"worker", "--id", "w-\U0001F600")
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("worker --id w-\U0001F600 still running after 15s (it retries its registration for ever); last output:\n%s",
			lastLines(string(out), 3))
	}
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 2 || strings.Count(strings.TrimRight(string(out), "\n"), "\n") != 0 {
		t.Fatalf("worker --id w-\U0001F600: %v, output %q; want exit 2 and one line", err, out)
	}
}
