package worker

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/drover-sched/drover/store"
)

// Found by review (review25): the longer unsafe-variable list still leaves
// out variables whose value is a command that common build tools run
// through the shell. make imports the environment as variables and its
// built-in rules run $(CC) (also CXX, AR, LD ...); go runs GOFLAGS'
// -toolexec, cargo CARGO_TARGET_<triple>_RUNNER, npm npm_config_* (its
// node_options, script_shell), rsync RSYNC_CONNECT_PROG, svn SVN_SSH.
// So with --allow (and no --allow-env) a task that may run one allowed
// build script runs anything, with no file to hand. README (Security) says
// no list is complete and points to --allow-env; this shows the gap is in
// everyday tools, not exotic ones.
func TestAllowListIsNotBypassedThroughMakesCC(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make")
	}
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/hello.c", []byte("int main(void){return 0;}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	script := dir + "/build.sh"
	if err := os.WriteFile(script, []byte("#!/bin/sh\nexec make -s -C "+dir+" hello\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"CC": "touch " + dir + "/pwned; true"}
	task := &store.Task{ID: "01JAAAAAAAAAAAAAAAAAAAAAAA", Attempt: 1, Cmd: []string{script}, Env: env}
	out := execute(context.Background(), task, "w-exec", store.OutputTail, time.Now, policy{allow: []string{script}})
	if _, err := os.Stat(dir + "/pwned"); err == nil {
		t.Fatalf("a task ran a command the allow-list (%s) does not admit, through env %v (outcome exit %d %q)", script, env, out.ExitCode, out.Err)
	}
}

// Found by review (review25): names on the unsafe list cannot be admitted
// by --allow-env either, as the unsafe check comes first and is absolute.
// Data-only variables a legitimate script needs (GIT_AUTHOR_NAME and
// GIT_COMMITTER_EMAIL for a script that commits, GIT_TERMINAL_PROMPT=0,
// MAKEFLAGS=-j8, PAGER=cat, HOME) now fail every task under --allow, and
// the operator who lists them with --allow-env still gets exit 126; the
// only way out is to drop --allow. (A design question more than a bug:
// README does not say that --allow-env cannot re-admit them.)
func TestAllowEnvCanAdmitADataOnlyGitVariable(t *testing.T) {
	dir := t.TempDir()
	script := dir + "/commit.sh"
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho \"$GIT_AUTHOR_NAME\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	pol := policy{allow: []string{script}, allowEnv: []string{"GIT_AUTHOR_NAME"}}
	task := &store.Task{ID: "01JAAAAAAAAAAAAAAAAAAAAAAA", Attempt: 1, Cmd: []string{script}, Env: map[string]string{"GIT_AUTHOR_NAME": "Ada"}}
	out := execute(context.Background(), task, "w-exec", store.OutputTail, time.Now, pol)
	if out.ExitCode != 0 || out.Stdout != "Ada\n" {
		t.Fatalf("--allow %s --allow-env GIT_AUTHOR_NAME, task env GIT_AUTHOR_NAME=Ada: exit %d %q, want it run", script, out.ExitCode, out.Err)
	}
}
