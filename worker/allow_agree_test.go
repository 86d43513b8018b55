package worker

import (
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drover-sched/drover/scheduler"
	"github.com/drover-sched/drover/store"
)

// The leader places a command on a worker with an allow-list only when the
// worker would run it, as far as the program's string tells: a worker that
// admits the program in some directory its PATH may hold must get it (the
// documented lean towards yes), and one that refuses it in every directory
// must not (placed there, it fails with exit 126 instead of waiting for a
// worker that runs it). path.Match lets a character class match '/', which
// the leader's rule (store.AllowList) missed spelt many ways: reviews 148,
// 150 and 151 each found some; these are theirs.
func TestLeaderAndWorkerAgreeOnAllowLists(t *testing.T) {
	dirs := []string{"/opt/jobs", "/opt/jobs/sub", "/opt", "/usr/bin", "/"}
	cases := []struct {
		pat, program string
		admitted     bool // by the worker, in some directory of dirs (or as given, when absolute)
	}{
		// A name pattern admits no path, not even by a negated class.
		{"[^.]*", "/true", false},
		{"[^.]*", "true", true},
		{"bin[^.]x", "bin/x", false},
		// A class standing where the resolved path's last '/' goes.
		{"/usr/bin[/]true", "true", true},
		{"/opt/jobs[^.]*", "x", true},
		// path.Base of the pattern cuts inside the class.
		{"/usr/bin[/]true", "]true", false},
		// A class that matches '/' only in an unclean path: right after a
		// '/', or after a "." component, however spelt.
		{"/opt/jobs/[^.]*", ".x", false},
		{"/opt/jobs/[^.]*", "x", true},
		{"/opt/jobs[/][^.]*", ".x", false},
		{"/opt/jobs/[.][/]x", "x", false},
		{`/opt/jobs/\.[/]x`, "x", false},
	}
	// The worker's own PATH: a class for the '/' before its true.
	if found, err := exec.LookPath("true"); err == nil {
		if abs, err := filepath.Abs(found); err == nil {
			dirs = append(dirs, path.Dir(abs))
			cases = append(cases, struct {
				pat, program string
				admitted     bool
			}{path.Dir(abs) + "[/]" + path.Base(abs), "true", true})
		}
	}
	for _, c := range cases {
		if err := CheckConfig(Config{ID: "w1", Allow: []string{c.pat}}); err != nil {
			t.Fatalf("CheckConfig refuses %q: %v", c.pat, err)
		}
		pol := policy{allow: []string{c.pat}}
		admitted := false
		if path.IsAbs(c.program) {
			_, admitted = pol.allowed(c.program, c.program)
		}
		for _, d := range dirs {
			if _, ok := pol.allowed(c.program, path.Join(d, c.program)); ok && !path.IsAbs(c.program) {
				admitted = true
			}
		}
		if admitted != c.admitted {
			t.Fatalf("--allow %q: the worker admits %q: %v, the case says %v", c.pat, c.program, admitted, c.admitted)
		}
		info := &store.WorkerInfo{ID: "w1", Allow: []string{c.pat}}
		if got := scheduler.Eligible(info, &store.Task{Cmd: []string{c.program}}); got != admitted {
			t.Errorf("--allow %q: the leader places %q: %v; the worker admits it: %v", c.pat, c.program, got, admitted)
		}
	}
}

// CheckConfig refuses a pattern longer than store.MaxAllowPattern, which
// the leader would take for malformed (DecodeWorker): a worker with one
// would be moved aside at every registration.
func TestCheckConfigRefusesLongAllowPattern(t *testing.T) {
	for _, list := range []string{"allow", "allow-env"} {
		for _, n := range []int{store.MaxAllowPattern, store.MaxAllowPattern + 1} {
			p := "/" + strings.Repeat("a", n-1)
			cfg := Config{ID: "w"}
			if list == "allow" {
				cfg.Allow = []string{p}
			} else {
				cfg.AllowEnv = []string{strings.Repeat("A", n)}
			}
			if err := CheckConfig(cfg); (err != nil) != (n > store.MaxAllowPattern) {
				t.Errorf("%s pattern of %d bytes: %v", list, n, err)
			}
		}
	}
}
