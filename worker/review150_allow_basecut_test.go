package worker

import (
	"context"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/scheduler"
	"github.com/drover-sched/drover/store"
)

// b5d72eb keeps path.Base(pattern) among the names a relative program is
// matched against, besides classTails. When the pattern's last '/' byte is
// inside a character class ("/usr/bin[/]true"), path.Base cuts the class:
// "]true", a well-formed pattern (']' outside a class is literal). The
// leader then admits the bare program "]true", which the worker never
// admits: it resolves it to DIR/]true, and "/usr/bin[/]true" matches
// /usr/bin/true alone. Visible in the program string, whatever the PATH:
// placed to fail, exit 126. (A cut inside a class says nothing of where
// the worker's directory ends; classTails already covers the class.)
// (review150)
func TestReview150LeaderPlacesNameByPathBaseCutInsideAClass(t *testing.T) {
	const pat, program = "/usr/bin[/]true", "]true"
	if err := CheckConfig(Config{ID: "w1", Allow: []string{pat}}); err != nil {
		t.Fatalf("CheckConfig refuses %q: %v", pat, err)
	}
	pol := policy{allow: []string{pat}}
	for _, dir := range []string{"/opt/jobs", "/opt/jobs/sub", "/opt", "/usr/bin", "/"} {
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
}
