package worker

import (
	"path"
	"testing"

	"github.com/drover-sched/drover/scheduler"
	"github.com/drover-sched/drover/store"
)

// review153: store.dirMay answers yes at once for a prefix with a class
// none of whose bytes is in classPickOrder ("[~]", "[é]"), without
// looking at the rest: "/opt/[~]/.[/]x" matches only /opt/~/./x, which is
// never clean, so no worker admits "x" by it in any directory (the same
// rule TestLeaderAndWorkerAgreeOnAllowLists holds for "/opt/jobs/[.][/]x"),
// yet the leader places "x" there, where it fails with exit 126. The
// leader can tell here: the "." component is unclean whatever "[~]" spells.
func TestReview153AllowUnpickableClassAdmitsWhatNoWorkerRuns(t *testing.T) {
	dirs := []string{"/opt", "/opt/~", "/opt/~/.", "/opt/é", "/opt/é/.", "/", "/usr/bin", "/opt/~/x"}
	for _, pat := range []string{"/opt/[~]/.[/]x", "/opt/[é]/.[/]x", "/opt/[~][/][/]x"} {
		if err := CheckConfig(Config{ID: "w1", Allow: []string{pat}}); err != nil {
			t.Fatalf("CheckConfig refuses %q: %v", pat, err)
		}
		pol := policy{allow: []string{pat}}
		for _, d := range dirs {
			if _, ok := pol.allowed("x", path.Join(d, "x")); ok {
				t.Fatalf("--allow %q: the worker admits x in %s", pat, d)
			}
		}
		info := &store.WorkerInfo{ID: "w1", Allow: []string{pat}}
		if scheduler.Eligible(info, &store.Task{Cmd: []string{"x"}}) {
			t.Errorf("--allow %q: the leader places \"x\", which no worker admits in any directory (the only path the pattern matches is unclean)", pat)
		}
	}
}
