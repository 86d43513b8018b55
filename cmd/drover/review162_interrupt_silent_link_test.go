package main

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// README, exit codes: "130 when a client command is interrupted (SIGINT or
// SIGTERM), connecting included". A client command whose link to ZooKeeper
// has gone silent (a partition) is interrupted with Ctrl-C: drover wait
// exits 130 at once (client.Wait returns at its context's end), but
// drover cancel and status do not: their look-up of the task takes no
// context (client.lookup waits for the store with context.Background()),
// so they hang on until the client notices the dead link (two thirds of
// the session timeout) and waits a session timeout more for a new
// session: with --session-timeout 30s they exit 130 some 50 s after the
// signal (17 s with the default 10s), the interrupt ignored meanwhile.
// (cancel and retry of many ids go on to the next id after a signal, too.)
func TestReview162InterruptOverASilentLinkExits130(t *testing.T) {
	root := newRoot()
	r := drover(t, root, "submit", "--on", "gpu=none", "--", "true") // no worker: it stays queued
	if r.code != 0 {
		t.Fatalf("submit: %+v", r)
	}
	id := strings.TrimSpace(r.stdout)
	// interrupted says what is wrong with args interrupted over a silent link
	// ("" when it exited 130 within 10 s).
	interrupted := func(args ...string) string {
		r := interruptAt(t, root, id[:6], 10*time.Second, args...) // its time bucket: in every path of it
		switch {
		case !r.exited:
			return args[0] + ": still running 10 s after SIGINT"
		case r.code != 130:
			return fmt.Sprintf("%s: exit %d, %s", args[0], r.code, r.stderr)
		}
		return ""
	}
	if bad := interrupted("wait", id); bad != "" {
		t.Fatalf("control: %s", bad)
	}
	var failed []string
	for _, args := range [][]string{{"cancel", id}, {"status", id}} {
		if bad := interrupted(args...); bad != "" {
			failed = append(failed, bad)
		}
	}
	if len(failed) > 0 {
		t.Fatalf("interrupted (SIGINT) with the link to ZooKeeper silent under the look-up of the task; want exit 130, as wait gives:\n%s",
			strings.Join(failed, "\n"))
	}
}
