package worker

import (
	"context"
	"os/exec"
	"path"
	"path/filepath"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/scheduler"
	"github.com/drover-sched/drover/store"
)

// A pattern with '/' whose character class stands where the program's last
// '/' goes ("/usr/bin[/]true", or "/opt/jobs[^.]*" for /opt/jobs/x) is
// accepted by CheckConfig (absolute, clean, well formed), and the worker
// matches it against the absolute path it resolves: a bare "true" found at
// /usr/bin/true runs. The leader (store.MayAllow, now AllowList.Allows)
// matches a relative program's name against the pattern's path.Base, cut
// at the pattern's last '/' byte, which here is inside the class ("]true"):
// it never matches, so the leader never places "true" on the only worker
// that would run it, and the task stays queued for ever. MayAllow's lean
// is towards yes; this is a no the worker contradicts. (review148)
func TestReview148LeaderRefusesBareProgramAPathPatternWithAClassAdmits(t *testing.T) {
	found, err := exec.LookPath("true")
	if err != nil {
		t.Skip("no true in PATH")
	}
	abs, err := filepath.Abs(found)
	if err != nil {
		t.Fatal(err)
	}
	pat := path.Dir(abs) + "[/]" + path.Base(abs) // e.g. /usr/bin[/]true
	if err := CheckConfig(Config{ID: "w1", Allow: []string{pat}}); err != nil {
		t.Fatalf("CheckConfig refuses %q: %v", pat, err)
	}
	if _, ok := (policy{allow: []string{pat}}).allowed("true", found); !ok {
		t.Fatalf("the worker with --allow %q does not admit true at %s", pat, found)
	}
	root := drovertest.NewRoot()
	startScheduler(t, root, "s1")
	_, st, _ := startWorker(t, root, "w1", func(c *Config) { c.Allow = []string{pat} })
	reg, err := st.Worker("w1")
	if err != nil {
		t.Fatal(err)
	}
	task := &store.Task{Cmd: []string{"true"}}
	if scheduler.Eligible(reg.Info, task) {
		return
	}
	id := submitCmd(t, st, 1, nil)[0]
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got, werr := st.WaitResult(ctx, id)
	state := "no result (still queued)"
	if werr == nil {
		state = string(got.State)
	}
	t.Fatalf("the leader refuses to place %q on w1 (--allow %q; Eligible = false, MayAllow = %v), which runs it (%s admitted); the task: %s",
		"true", pat, store.MayAllow([]string{pat}, "true"), found, state)
}
