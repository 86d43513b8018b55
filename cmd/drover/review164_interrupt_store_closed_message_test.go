package main

import (
	"strings"
	"testing"
	"time"
)

// 9fa77a7 ends an interrupted command within a second over a silent link
// by closing its store under it (runClient, interruptWait). The exit code
// is 130, but what the command says is the error of the read the close
// failed: "drover: get ROOT/results/..: store closed" (status), "drover:
// cancel: get ...: store closed" (cancel), where drover wait interrupted
// in the same spot says "drover: interrupted". The store was closed by
// drover itself, because of the signal: the message should say the command
// was interrupted (and, for a change in flight, that its outcome is
// unknown), not report an internal "store closed".
func TestReview164InterruptedOverSilentLinkSaysStoreClosed(t *testing.T) {
	root := newRoot()
	r := drover(t, root, "submit", "--on", "gpu=none", "--", "true") // no worker: it stays queued
	if r.code != 0 {
		t.Fatalf("submit: %+v", r)
	}
	id := strings.TrimSpace(r.stdout)
	interrupted := func(args ...string) (int, string) {
		r := interruptAt(t, root, id[:6], 20*time.Second, args...) // its time bucket: in every path of it
		return r.code, r.stderr
	}
	if code, stderr := interrupted("wait", id); code != 130 || !strings.HasPrefix(stderr, "drover: interrupted") {
		t.Fatalf("control: wait: exit %d, %q", code, stderr)
	}
	var bad []string
	for _, args := range [][]string{{"status", id}, {"cancel", id}} {
		code, stderr := interrupted(args...)
		if code != 130 {
			t.Fatalf("%s: exit %d, %q", args[0], code, stderr)
		}
		if strings.Contains(stderr, "store closed") || !strings.Contains(stderr, "interrupted") {
			bad = append(bad, args[0]+": "+stderr)
		}
	}
	if len(bad) > 0 {
		t.Errorf("interrupted (SIGINT) over a silent link, exit 130, but the message is the closed store's, not 'interrupted' (as wait says):\n%s", strings.Join(bad, "\n"))
	}
}
