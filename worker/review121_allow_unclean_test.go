package worker

import (
	"os"
	"testing"

	"github.com/drover-sched/drover/store"
)

// b543dd2 refuses an --allow pattern with '/' that is not absolute, since
// the worker matches such a pattern against the program's absolute, clean
// path (filepath.Abs) and a relative one matches nothing, while the leader
// (store.MayAllow, by last element) places relative-path tasks on it. An
// absolute pattern that is not clean matches nothing for the same reason
// and is still accepted: `--allow "$JOBS/x.sh"` with JOBS=/opt/jobs/ gives
// /opt/jobs//x.sh; /opt/jobs/./x.sh and /opt/jobs/bin/../x.sh likewise. The
// worker then refuses /opt/jobs/x.sh (exit 126) however a task names it,
// the leader never places the absolute-path task there, and places every
// ./x.sh task there, to fail. Refusing p != path.Clean(p) (exit 2) would
// close it. (review121)
func TestCheckConfigRefusesUncleanAllowPattern(t *testing.T) {
	dir := t.TempDir()
	script := dir + "/x.sh"
	if err := os.WriteFile(script, []byte("#!/bin/sh\ntrue\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{dir + "//x.sh", dir + "/./x.sh", dir + "/sub/../x.sh"} {
		if err := CheckConfig(Config{ID: "w", Allow: []string{p}}); err != nil {
			continue
		}
		_, ok := policy{allow: []string{p}}.allowed(script, script)
		t.Errorf("Allow [%q] accepted, yet the worker admits %s: %v; the leader places %s there: %v, ./x.sh there: %v",
			p, script, ok, script, store.MayAllow([]string{p}, script), store.MayAllow([]string{p}, "./x.sh"))
	}
}
