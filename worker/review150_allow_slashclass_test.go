package worker

import (
	"context"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/scheduler"
	"github.com/drover-sched/drover/store"
)

// b5d72eb (classTails) lets a relative program's name be matched against
// what follows each character class that can match '/'. But a class right
// after a literal '/' can match '/' only in a path with "//", which the
// worker never matches: it matches the absolute path it resolves, cleaned
// (CheckConfig also wants a clean pattern). So --allow '/opt/jobs/[^.]*'
// (any program in /opt/jobs not hidden) now gives the tail "*", and the
// leader admits every name, ".x" included, which the worker refuses in
// whatever directory it resolves it: '[^.]' must match the name's first
// byte. Before b5d72eb the leader refused it (path.Base: "[^.]*"). The
// refusal is visible in the program string alone, not a guess about the
// worker's PATH: the leader places the task to fail, exit 126, instead of
// leaving it queued. (review150)
func TestReview150LeaderPlacesHiddenNameByASlashClassAfterASlash(t *testing.T) {
	const pat, program = "/opt/jobs/[^.]*", ".x"
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
