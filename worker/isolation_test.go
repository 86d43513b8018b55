package worker

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// Found by review: what a command or handler may see and change, and a
// drain across registrations.

// TestCommandsDoNotInheritZooKeeperCredentials: the worker reads its
// ZooKeeper identity from DROVER_ZK_AUTH (and a dashboard's from
// DROVER_ZK_AUTH_READONLY), and taskEnv hands the worker's whole
// environment to every command. Any submitter then reads the owner's
// credentials with `drover submit --wait -- printenv DROVER_ZK_AUTH`, and so
// does anyone who can read results (the read-only identity, the dashboard),
// and a command run with --run-as as a lesser user gets them too.
func TestCommandsDoNotInheritZooKeeperCredentials(t *testing.T) {
	t.Setenv("DROVER_ZK_AUTH", "owner:s3cret")
	t.Setenv("DROVER_ZK_AUTH_READONLY", "viewer:s3cret2")
	out := runCmd(t, context.Background(), &store.Task{Shell: true,
		Cmd: []string{`echo "[$DROVER_ZK_AUTH][$DROVER_ZK_AUTH_READONLY]"`}})
	if out.Stdout != "[][]\n" {
		t.Fatalf("a command saw the worker's ZooKeeper credentials: %q", out.Stdout)
	}
}

// TestAllowListIsNotBypassedThroughTheEnvironment: the allow-list admits a
// program by its path, but the task chooses the program's environment. A
// bash script on the list runs whatever a task puts in BASH_ENV (bash
// expands it, command substitution included, before it reads the file), so
// a task that may run one allowed script runs anything (LD_PRELOAD,
// PYTHONPATH and their like do the same with a file to hand).
func TestAllowListIsNotBypassedThroughTheEnvironment(t *testing.T) {
	if _, err := os.Stat("/bin/bash"); err != nil {
		t.Skip("no /bin/bash")
	}
	dir := t.TempDir()
	script := dir + "/report.sh"
	if err := os.WriteFile(script, []byte("#!/bin/bash\necho report\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	task := &store.Task{ID: "01JAAAAAAAAAAAAAAAAAAAAAAA", Attempt: 1, Cmd: []string{script},
		Env: map[string]string{"BASH_ENV": "$(touch " + dir + "/pwned)"}}
	out := execute(context.Background(), task, "w-exec", store.OutputTail, time.Now, policy{allow: []string{script}})
	if _, err := os.Stat(dir + "/pwned"); err == nil {
		t.Fatalf("a task ran a command the allow-list (%s) does not admit, through BASH_ENV (outcome %+v)", script, out)
	}
}

// TestHandlerCannotChangeTheTaskSpec: a Go handler is given the record's own
// Env map and Payload bytes (runHandler builds Task{Payload: task.Payload,
// Env: task.Env}), and report then clones the record, edits included. A
// handler that adds a default to its env or decodes its payload in place
// rewrites the task's spec in its result (and in the retry it queues); one
// that does so after it was abandoned (it ignored its context) races with
// the report's Clone: a concurrent map read and write ends the worker.
func TestHandlerCannotChangeTheTaskSpec(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	w := runHandler(t, root, 0, "h", HandlerFunc(func(_ context.Context, t *Task) ([]byte, error) {
		t.Env["ADDED_BY_HANDLER"] = "1"
		copy(t.Payload, "XXXX")
		return nil, nil
	}))
	task := &store.Task{Handler: "h", Payload: []byte("spec"), Env: map[string]string{"K": "v"}}
	assign(t, st, w, task)
	got := result(t, st, task.ID)
	if got.State != store.StateSucceeded {
		t.Fatalf("result %+v", got)
	}
	if string(got.Payload) != "spec" || len(got.Env) != 1 || got.Env["K"] != "v" {
		t.Fatalf("the handler rewrote the task's spec: payload %q env %v (submitted %q, map[K:v])", got.Payload, got.Env, "spec")
	}
}

// With an allow-list, a task's variables that change what a program runs
// are refused, one line, exit 126; its other variables pass.
func TestAllowListRefusesUnsafeEnvOnly(t *testing.T) {
	dir := t.TempDir()
	script := dir + "/report.sh"
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho \"$GREETING\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	pol := policy{allow: []string{script}}
	for _, env := range []map[string]string{{"PATH": dir}, {"LD_PRELOAD": dir + "/x.so"}, {"ld_library_path": dir}, {"BASH_FUNC_echo%%": "() { id; }"}} {
		task := &store.Task{ID: "01JAAAAAAAAAAAAAAAAAAAAAAA", Attempt: 1, Cmd: []string{script}, Env: env}
		out := execute(context.Background(), task, "w-exec", store.OutputTail, time.Now, pol)
		if out.ExitCode != 126 || !strings.Contains(out.Err, "not allowed on this worker: env") || strings.Contains(out.Err, "\n") {
			t.Errorf("env %v under an allow-list: exit %d %q, want 126 and one line", env, out.ExitCode, out.Err)
		}
	}
	task := &store.Task{ID: "01JAAAAAAAAAAAAAAAAAAAAAAA", Attempt: 1, Cmd: []string{script}, Env: map[string]string{"GREETING": "hi"}}
	if out := execute(context.Background(), task, "w-exec", store.OutputTail, time.Now, pol); out.ExitCode != 0 || out.Stdout != "hi\n" {
		t.Errorf("a harmless variable under an allow-list: %+v", out)
	}
	// Without an allow-list the task's environment is its own to set.
	task = &store.Task{ID: "01JAAAAAAAAAAAAAAAAAAAAAAA", Attempt: 1, Cmd: []string{script}, Env: map[string]string{"PATH": "/usr/bin:/bin", "GREETING": "yo"}}
	if out := execute(context.Background(), task, "w-exec", store.OutputTail, time.Now, policy{}); out.ExitCode != 0 || out.Stdout != "yo\n" {
		t.Errorf("PATH without an allow-list: %+v", out)
	}
}

// The list of unsafe variables is a list of names, and the common tools an
// allowed script calls read more than it named. GNU tar prepends
// TAR_OPTIONS to its arguments (--checkpoint-action=exec=CMD runs CMD
// through the shell), and git runs GIT_EXTERNAL_DIFF (through the shell)
// for each changed file of a diff, GIT_PROXY_COMMAND for a git:// fetch,
// GIT_ASKPASS for a password. So a task that could run one allowed script
// that archives or diffs ran anything, with no file to hand, as BASH_ENV
// did. (Found by security review; the sturdy answer is --allow-env, below.)
func TestAllowListIsNotBypassedThroughToolVariables(t *testing.T) {
	for _, tool := range []string{"tar", "git"} {
		t.Run(tool, func(t *testing.T) {
			if _, err := exec.LookPath(tool); err != nil {
				t.Skip("no " + tool)
			}
			dir := t.TempDir()
			if err := os.WriteFile(dir+"/a", []byte("a\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			var body string
			var env map[string]string
			switch tool {
			case "tar":
				body = "tar -cf /dev/null -C " + dir + " a\n"
				env = map[string]string{"TAR_OPTIONS": `--checkpoint=1 --checkpoint-action=exec=touch\ ` + dir + "/pwned"}
			case "git":
				git := func(args ...string) {
					cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@t"}, args...)...)
					if b, err := cmd.CombinedOutput(); err != nil {
						t.Fatalf("git %v: %v %s", args, err, b)
					}
				}
				git("init", "-q")
				git("add", "a")
				git("commit", "-qm", "a")
				if err := os.WriteFile(dir+"/a", []byte("b\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				body = "git -C " + dir + " diff\n"
				env = map[string]string{"GIT_EXTERNAL_DIFF": "touch " + dir + "/pwned;:"}
			}
			script := dir + "/job.sh"
			if err := os.WriteFile(script, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
				t.Fatal(err)
			}
			mustNotRunOffTheList(t, dir, script, env)
		})
	}
}

// With AllowEnv (--allow-env), a task may set only the variables whose
// names its patterns match, whatever any list of unsafe names knows: an
// attempt that sets another fails, exit 126, in one line.
func TestAllowEnvAdmitsOnlyTheNamesItLists(t *testing.T) {
	dir := t.TempDir()
	script := dir + "/report.sh"
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho \"$JOB_GREETING $REGION\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	pol := policy{allow: []string{script}, allowEnv: []string{"JOB_*", "REGION"}}
	run := func(env map[string]string) outcome {
		task := &store.Task{ID: "01JAAAAAAAAAAAAAAAAAAAAAAA", Attempt: 1, Cmd: []string{script}, Env: env}
		return execute(context.Background(), task, "w-exec", store.OutputTail, time.Now, pol)
	}
	if out := run(map[string]string{"JOB_GREETING": "hi", "REGION": "eu"}); out.ExitCode != 0 || out.Stdout != "hi eu\n" {
		t.Errorf("listed variables: %+v", out)
	}
	for _, env := range []map[string]string{{"JOB_GREETING": "hi", "SOME_TOOL_OPTIONS": "--exec=id"}, {"region": "eu"}} {
		if out := run(env); out.ExitCode != 126 || !strings.Contains(out.Err, "see --allow-env") || strings.Contains(out.Err, "\n") {
			t.Errorf("env %v with --allow-env JOB_* REGION: exit %d %q, want 126 and one line", env, out.ExitCode, out.Err)
		}
	}
	if err := CheckConfig(Config{ID: "w", AllowEnv: []string{"["}}); err == nil {
		t.Error("a malformed --allow-env pattern was accepted")
	}
	if err := CheckConfig(Config{ID: "w", AllowEnv: []string{""}}); err == nil {
		t.Error("an empty --allow-env pattern, which matches no variable name, was accepted")
	}
}

// Build tools run what some variables name: make takes CC from the
// environment and its built-in rules run it through the shell (CXX, AR,
// LD, the FLAGS too), go GOFLAGS' -toolexec, cargo its runners, npm its
// npm_config_*. With --allow (and no --allow-env) a task that could run
// one allowed build script ran anything. (Found by review.)
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
	mustNotRunOffTheList(t, dir, script, map[string]string{"CC": "touch " + dir + "/pwned; true"})
}

// mustNotRunOffTheList runs script as a task with env on a worker whose
// allow-list is script alone, and fails the test if dir/pwned appeared:
// the command env named, which the list does not admit, ran.
func mustNotRunOffTheList(t *testing.T, dir, script string, env map[string]string) {
	t.Helper()
	task := &store.Task{ID: "01JAAAAAAAAAAAAAAAAAAAAAAA", Attempt: 1, Cmd: []string{script}, Env: env}
	out := execute(context.Background(), task, "w-exec", store.OutputTail, time.Now, policy{allow: []string{script}})
	if _, err := os.Stat(dir + "/pwned"); err == nil {
		t.Fatalf("a task ran a command the allow-list (%s) does not admit, through env %v (outcome exit %d %q)", script, env, out.ExitCode, out.Err)
	}
}

// With --allow-env the names it lists are the rule: one on the list of
// unsafe names that the operator lists (a script that commits needs
// GIT_AUTHOR_NAME) is admitted, where every task under --allow that set it
// failed, whatever --allow-env said. (Found by review.)
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

// --allow-env matches its globs against the task's env keys, and a key
// that is no variable name ("BASH_ENV=$(...)X_NAME", in a record written
// straight to ZooKeeper, past the client's check) would set another
// variable than the one matched: the worker refuses such a key (exit 126)
// and DecodeTask takes such a record for malformed. (Found by review.)
func TestAllowEnvChecksTheVariableNameNotTheKey(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	dir := t.TempDir()
	script := dir + "/hello.sh"
	if err := os.WriteFile(script, []byte("#!"+bash+"\necho hello\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	pol := policy{allow: []string{script}, allowEnv: []string{"*_NAME"}}
	key := "BASH_ENV=$(echo pwned >&2)X_NAME"
	task := &store.Task{ID: "01JAAAAAAAAAAAAAAAAAAAAAAA", Attempt: 1, Cmd: []string{script}, Env: map[string]string{key: "v"}}
	out := execute(context.Background(), task, "w-exec", store.OutputTail, time.Now, pol)
	if strings.Contains(out.Stderr, "pwned") || out.ExitCode != 126 {
		t.Fatalf("--allow %s --allow-env '*_NAME', task env key %q: exit %d %q, stderr %q; want it refused (exit 126): the command got BASH_ENV",
			script, key, out.ExitCode, out.Err, out.Stderr)
	}
}
