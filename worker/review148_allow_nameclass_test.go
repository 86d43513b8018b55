package worker

import (
	"context"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/scheduler"
	"github.com/drover-sched/drover/store"
)

// A pattern without '/' admits only a program given by name alone (README
// --allow: "never one in a directory the task names"; MayAllow: "a pattern
// without '/' is matched against a program given by name alone, as the
// worker matches it"; AllowList.Allows: "a name matches no path"). But
// path.Match's negated class matches '/' ('?' and '*' do not), so the
// leader's names check, path.Match(pat, program) on the whole program,
// admits "/true" for --allow '[^.]*' (any name not hidden) and "bin/x" for
// 'bin[^.]x'. The worker (policy.allowed) never admits a program with '/'
// by a name pattern, so the leader places such tasks there to fail, exit
// 126, instead of leaving them queued for a worker that runs them. Not a
// guess about the worker's PATH (the documented lean): the worker's answer
// is known from the program alone. (review148)
func TestReview148LeaderPlacesPathProgramByANamePatternWithAClass(t *testing.T) {
	const pat, program = "[^.]*", "/true"
	if err := CheckConfig(Config{ID: "w1", Allow: []string{pat}}); err != nil {
		t.Fatalf("CheckConfig refuses %q: %v", pat, err)
	}
	if _, ok := (policy{allow: []string{pat}}).allowed(program, program); ok {
		t.Fatalf("the worker with --allow %q admits %s", pat, program)
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
	t.Fatalf("the leader places %q on w1 (--allow %q; Eligible = true, MayAllow = %v), which refuses every program with '/' by a name pattern; the task: %s",
		program, pat, store.MayAllow([]string{pat}, program), outcome)
}
