package main

import (
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/store"
)

// TestReview201LogsFollowCancelSeesFiledOutput: README, logs -f: "A task
// cancelled while followed gets its last output filed by its worker just
// after the cancel: -f waits up to 2 s for it, and otherwise says it may
// be in the record later". The worker files it within milliseconds, yet
// logs -f always waits the whole 2 s and says it may come later: it reads
// the record again (follower.settled, through f.status) after
// followLogs's withReader has returned and closed its client, so every
// read fails. (submit --follow calls catchUp inside its client and does
// not.)
func TestReview201LogsFollowCancelSeesFiledOutput(t *testing.T) {
	root := newRoot()
	daemon(t, root, "scheduler", "--id", "s1")
	daemon(t, root, "worker", "--id", "w1")
	r := drover(t, root, "submit", "--shell", "--", "echo one; sleep 60")
	if r.code != 0 {
		t.Fatalf("submit: %+v", r)
	}
	id := strings.TrimSpace(r.stdout)

	lf := start(t, root, "logs", "-f", id)
	stdout, stderr := &lf.stdout, &lf.stderr
	waitFor(t, 20*time.Second, "logs -f to print the first line", func() bool { return stdout.String() == "one\n" })
	if r := drover(t, root, "cancel", id); r.code != 0 {
		t.Fatalf("cancel: %+v", r)
	}
	if code := lf.wait(t); code != 0 {
		t.Fatalf("logs -f: exit %d; stderr %q", code, stderr.String())
	}
	ended := time.Now()

	// When did the worker file the attempt's output (keepCancelledOutput's
	// set of the result), by the server's clock (same host)?
	st := openStore(t, root)
	var filed time.Time
	waitFor(t, 20*time.Second, "the worker to file the cancelled attempt's output", func() bool {
		data, stat, err := st.Get(st.Layout().Result(id))
		if err != nil {
			return false
		}
		rec, err := store.DecodeTaskOf(id, data)
		if err != nil || len(rec.History) == 0 || rec.History[len(rec.History)-1].StdoutBytes == 0 {
			return false
		}
		filed = stat.Mtime
		return true
	})
	if strings.Contains(stderr.String(), "may be filed") && filed.Before(ended.Add(-time.Second)) {
		t.Fatalf("logs -f ended %v after the worker filed the cancelled attempt's output, yet said on stderr %q",
			ended.Sub(filed).Round(time.Millisecond), stderr.String())
	}
}
