package worker

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/store"
)

// Found by review (review26): --allow-env matches its globs against the
// task's env keys, but the worker neither checks that a key is a variable
// name (DecodeTask does not run Validate's validEnvName; a record written
// to ZooKeeper directly, not through drover submit, keeps any key) nor
// matches the name the command actually gets: the part before the first
// '='. With a glob that does not start with a literal ("*_NAME"), the key
// "BASH_ENV=$(...)X_NAME" matches, and the command's environment holds
// BASH_ENV, which bash expands (command substitution) and sources. With
// --allow-env the built-in unsafe list no longer applies (b6127e0), so
// "LD_PRELOAD=... X_NAME" passes too, which the LD_ prefix caught before.
// (Failing.)
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
