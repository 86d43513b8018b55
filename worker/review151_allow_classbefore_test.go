package worker

import (
	"context"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/scheduler"
	"github.com/drover-sched/drover/store"
)

// a01b075 (classTails) skips the tail after a class that can match '/'
// when the text before it in its component is empty, "." or "..": there
// the class matches '/' only in an unclean path ("//", "/./", "/../"),
// which the worker never matches. It compares that text literally, so the
// same patterns spelt with a class or an escape slip through: in
// '/opt/jobs[/][^.]*' the '/' before '[^.]' is the class '[/]' (before =
// "jobs[/]"), and in '/opt/jobs/[.][/]x' and '/opt/jobs/\.[/]x' the "."
// component is '[.]' or '\.'. Each pattern is clean (CheckConfig takes
// it) and matches no clean path ending in the program's name, so the
// worker refuses the program in any directory, yet the leader admits it
// ('.x' by the tail "*"; 'x' by the tail "x") and places it to fail,
// exit 126, instead of leaving it queued: the review150 defect again.
func TestReview151LeaderPlacesByASlashClassAfterASlashOrDotSpeltAsAClass(t *testing.T) {
	for _, c := range []struct{ pat, program string }{
		{"/opt/jobs[/][^.]*", ".x"},
		{"/opt/jobs/[.][/]x", "x"},
		{`/opt/jobs/\.[/]x`, "x"},
	} {
		t.Run(c.pat, func(t *testing.T) {
			pat, program := c.pat, c.program
			if err := CheckConfig(Config{ID: "w1", Allow: []string{pat}}); err != nil {
				t.Fatalf("CheckConfig refuses %q: %v", pat, err)
			}
			pol := policy{allow: []string{pat}}
			for _, dir := range []string{"/opt/jobs", "/opt/jobs/.", "/opt/jobs/sub", "/opt", "/usr/bin", "/"} {
				if _, ok := pol.allowed(program, dir+"/"+program); ok {
					t.Fatalf("the worker with --allow %q admits %s in %s", pat, program, dir)
				}
			}
			root := drovertest.NewRoot()
			startScheduler(t, root, "s1")
			_, st, _ := startWorker(t, root, "w1", func(c *Config) { c.Allow = []string{pat} })
			reg, err := st.Worker("w1")
			if err != nil {
				t.Fatal(err)
			}
			if !scheduler.Eligible(reg.Info, &store.Task{Cmd: []string{program}}) {
				return
			}
			id := submitCmd(t, st, 1, func(task *store.Task) { task.Cmd = []string{program} })[0]
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			got, werr := st.WaitResult(ctx, id)
			outcome := "no result yet"
			if werr == nil && len(got.History) > 0 {
				a := got.History[len(got.History)-1]
				outcome = string(got.State) + " on " + a.Worker + ": " + a.Error
			}
			t.Fatalf("the leader places %q on w1 (--allow %q; Eligible = true, MayAllow = %v), whose worker refuses it in any directory; the task: %s",
				program, pat, store.MayAllow([]string{pat}, program), outcome)
		})
	}
}
