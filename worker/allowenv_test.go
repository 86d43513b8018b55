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
