package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/zkserver"
)

// writeConfig writes content to a config file of its own and returns its path.
func writeConfig(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "drover.yaml")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// A config file of several YAML documents is read as its first alone: the
// settings after a `---` are dropped without a word (an unknown key there
// passes, where the first document's is refused), and a file that opens
// with an empty document is read as no settings at all. Bad input is one
// line and exit 2, as every other malformed config file is.
func TestConfigFileOfSeveralDocumentsIsRefused(t *testing.T) {
	root := newRoot()
	makeCluster(t, root)
	for _, content := range []string{
		"log-level: warn\n---\nbogus: 1\n",
		"---\n---\nbogus: 1\n",
	} {
		r := drover(t, root, "--config", writeConfig(t, content), "ls")
		if r.code != 2 {
			t.Errorf("config %q: exit %d, stdout %q, stderr %q; want exit 2: its second document was ignored", content, r.code, r.stdout, r.stderr)
			continue
		}
		oneLineError(t, r, 2, "")
	}
}

// A string setting in the config file is read as YAML typed it, then
// printed back: `id: 0123` (an octal number to YAML) names the worker "83",
// `name: 1.10` (a float) names the task "1.1". The same values on the
// command line are kept as written.
func TestConfigFileKeepsStringSettingsAsWritten(t *testing.T) {
	root := newRoot()
	cfg := writeConfig(t, "submit:\n  name: 1.10\nworker:\n  id: 0123\n")

	r := drover(t, root, "--config", cfg, "submit", "--", "true")
	if r.code != 0 {
		t.Fatalf("submit: %+v", r)
	}
	id := strings.TrimSpace(r.stdout)
	var task map[string]any
	r = drover(t, root, "status", id, "-o", "json")
	if err := json.Unmarshal([]byte(r.stdout), &task); err != nil {
		t.Fatalf("status -o json: %v: %+v", err, r)
	}
	if task["name"] != "1.10" {
		t.Errorf("task name from `name: 1.10` in the config file = %q, want \"1.10\"", task["name"])
	}

	daemon(t, root, "--config", cfg, "worker")
	var ws []map[string]any
	waitFor(t, 20*time.Second, "the worker from the config file registers", func() bool {
		ws = nil
		_ = json.Unmarshal([]byte(drover(t, root, "workers", "-o", "json").stdout), &ws)
		return len(ws) == 1
	})
	if ws[0]["id"] != "0123" {
		t.Errorf("worker id from `id: 0123` in the config file = %q, want \"0123\"", ws[0]["id"])
	}
}

// The scheduler and the worker run as systemd services (configs/systemd),
// where a start that finds no ZooKeeper is logged and retried every few
// seconds: the message must not tell the operator of a production host to
// start a throw-away local cluster (`drover dev`) instead.
func TestDaemonWithoutZooKeeperDoesNotSuggestDev(t *testing.T) {
	port, err := zkserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	for _, daemonCmd := range []string{"scheduler", "worker"} {
		cmd := exec.Command(binary, "--zk", fmt.Sprintf("127.0.0.1:%d", port), "--session-timeout", "1s", daemonCmd, "--id", "x")
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), "cannot reach ZooKeeper") {
			t.Fatalf("%s: exit %v, output %q", daemonCmd, err, out)
		}
		if strings.Contains(string(out), "drover dev") {
			t.Errorf("drover %s with no ZooKeeper says %q: it points a production daemon's operator at the dev cluster", daemonCmd, strings.TrimSpace(string(out)))
		}
	}
}

// A `key` in a config file (under submit:, or at the top) gave every
// later `drover submit` that key: each returned the first task, exit 0,
// and ran nothing new. It is refused, one line and exit 2. (Noted by
// review108.)
func TestConfigFileRefusesAnIdempotencyKey(t *testing.T) {
	root := newRoot()
	makeCluster(t, root)
	for _, content := range []string{"submit:\n  key: nightly\n", "key: nightly\n"} {
		r := drover(t, root, "--config", writeConfig(t, content), "submit", "--", "true")
		oneLineError(t, r, 2, "idempotency key names one task")
	}
}

// A --zk-tls-key others can read was taken as it was, where a credentials
// file others can read is refused: a private key is as much a secret.
// (Noted by review116.)
func TestWorldReadableTLSKeyIsRefused(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "client-key.pem")
	if err := os.WriteFile(key, []byte("not a key"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := drover(t, newRoot(), "--zk-tls-cert", key, "--zk-tls-key", key, "workers")
	oneLineError(t, r, 2, "other users can read or write it")
}

// config print's output is a config file as it stands (review175: it
// printed config: "", which a file may no longer hold), and a file may not
// name submit's -f (every submit -- CMD then failed, "give either -f FILE
// or a command").
func TestConfigPrintIsAConfigFile(t *testing.T) {
	root := newRoot()
	r := drover(t, root, "config", "print")
	if r.code != 0 {
		t.Fatalf("config print: %+v", r)
	}
	p := filepath.Join(t.TempDir(), "p.yaml")
	if err := os.WriteFile(p, []byte(r.stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	if again := drover(t, root, "--config", p, "config", "print"); again.code != 0 {
		t.Fatalf("config print's output as --config: %+v", again)
	}
	f := filepath.Join(t.TempDir(), "f.yaml")
	if err := os.WriteFile(f, []byte("submit:\n  file: batch.jsonl\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	oneLineError(t, drover(t, root, "--config", f, "submit", "--", "true"), 2, "not a setting for a file")
	// Nor a task's dependencies: every submit would wait for the same
	// tasks (review220).
	for _, set := range []string{"after: [01JDEP00000000000000000000]", "after-key: [extract]"} {
		if err := os.WriteFile(f, []byte("submit:\n  "+set+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		oneLineError(t, drover(t, root, "--config", f, "submit", "--", "true"), 2, "not a setting for a file")
	}
}
