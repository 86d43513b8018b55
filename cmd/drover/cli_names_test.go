package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// ZooKeeper refuses path elements holding characters its PathUtils rejects:
// any outside the Basic Multilingual Plane (Java keeps them as surrogate
// pairs, U+D800–U+DFFF), the private use area (U+E000–U+F8FF) and
// U+FFF0–U+FFFF. store.ValidateName lets them through, so a schedule name
// or a --root holding an emoji passed validation and failed at the create:
// exit 1, "create /drover/schedules/a😀: invalid arguments" (or "zk:
// invalid path"), where bad input is one line naming the field, exit 2.
func TestNamesZooKeeperRefusesAreBadInput(t *testing.T) {
	root := newRoot()
	makeCluster(t, root)
	for _, name := range []string{"nightly-\U0001F600", "nightly-\uE000", "nightly-\uFFF0"} {
		t.Run(name, func(t *testing.T) {
			r := drover(t, root, "schedule", "add", name, "--cron", "@hourly", "--suspend", "--", "true")
			if r.code != 2 {
				t.Fatalf("schedule add %q: exit %d, stderr %q; want 2, one line naming the schedule name", name, r.code, r.stderr)
			}
			oneLineError(t, r, 2, "name")
		})
	}
	t.Run("root", func(t *testing.T) {
		r := drover(t, "/drover-\U0001F600", "submit", "--", "true")
		if r.code != 2 {
			t.Fatalf("--root /drover-\U0001F600 submit: exit %d, stderr %q; want 2, one line naming --root", r.code, r.stderr)
		}
		oneLineError(t, r, 2, "root")
	})
}

// A worker --id ZooKeeper cannot take as a znode name passed the flag check
// and the worker retried its registration for ever ("register w😀: create
// /drover/workers/w😀: invalid arguments", warn, backing off to 5 s), never
// serving and never exiting: an --id of 129 bytes or with a space is
// refused at once, exit 2.
func TestWorkerIDZooKeeperRefusesIsBadInput(t *testing.T) {
	root := newRoot()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "--zk", zkAddr, "--root", root, "--session-timeout", "2s",
		"worker", "--id", "w-\U0001F600")
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("worker --id w-\U0001F600 still running after 15s (it retries its registration for ever); last output:\n%s",
			lastLines(string(out), 3))
	}
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 2 || strings.Count(strings.TrimRight(string(out), "\n"), "\n") != 0 {
		t.Fatalf("worker --id w-\U0001F600: %v, output %q; want exit 2 and one line", err, out)
	}
}

// A --zk-auth-file is read whole and trimmed of surrounding space only: a
// byte order mark at its start (Notepad's UTF-8) or a second line becomes
// part of the identity (user "\ufeffalice", or password "s3cret\nbob:x").
// The process then connects as an identity nobody meant, and against a
// cluster made with the intended one fails, exit 1, "ZooKeeper refused
// access ... set DROVER_ZK_AUTH or --zk-auth-file", though the file was
// set and names the right user and password. submit -f and wait -f skip a
// byte order mark; a credentials file with one should read as the same
// identity, and one that is not a single user:password line be refused,
// exit 2, as an empty one is.
func TestZKAuthFileBOMAndExtraLine(t *testing.T) {
	root := newRoot()
	dir := t.TempDir()
	write := func(name, content string) string {
		t.Helper()
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	noEnv := []string{"DROVER_ZK_AUTH=", "DROVER_ZK_AUTH_READONLY="}
	plain := write("plain", "alice:s3cret\n")
	if r := droverEnv(t, root, "", noEnv, "--zk-auth-file", plain, "submit", "--", "true"); r.code != 0 {
		t.Fatalf("submit with %s: %+v", plain, r)
	}
	bom := write("bom", "\ufeffalice:s3cret\r\n")
	if r := droverEnv(t, root, "", noEnv, "--zk-auth-file", bom, "ls"); r.code != 0 {
		t.Errorf("ls with a credentials file of the same user:password after a byte order mark: exit %d, stderr %q", r.code, r.stderr)
	}
	two := write("two", "alice:s3cret\nbob:other\n")
	if r := droverEnv(t, root, "", noEnv, "--zk-auth-file", two, "ls"); r.code != 2 {
		t.Errorf("ls with a two-line credentials file: exit %d, stderr %q; want 2 (not one user:password line)", r.code, r.stderr)
	} else {
		oneLineError(t, r, 2, "zk-auth-file")
	}
}

// --log-level is checked with zerolog.ParseLevel alone, which also takes
// "disabled", "panic", "fatal", "trace" and any number that fits an int8:
// `--log-level 7` or `disabled` is accepted, exit 0, and a scheduler or
// worker so started logs nothing at all, errors included, though the flag's
// help, the README and the command's own refusal ("want debug, info, warn or
// error") name four levels.
func TestLogLevelOutsideTheFourIsRefused(t *testing.T) {
	for _, level := range []string{"7", "-1", "disabled", "panic"} {
		r := drover(t, newRoot(), "--log-level", level, "version")
		if r.code != 2 {
			t.Errorf("--log-level %q: exit %d (stdout %q); want 2: not debug, info, warn or error", level, r.code, r.stdout)
			continue
		}
		oneLineError(t, r, 2, "log-level")
	}
	// A config file's log-level is held to the same four; their names in
	// any case still do.
	cfg := filepath.Join(t.TempDir(), "drover.yaml")
	if err := os.WriteFile(cfg, []byte("log-level: disabled\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	oneLineError(t, drover(t, newRoot(), "--config", cfg, "version"), 2, "log-level")
	if r := drover(t, newRoot(), "--log-level", "WARN", "version"); r.code != 0 {
		t.Errorf("--log-level WARN: %+v", r)
	}
}

// `-o json` is a global flag, and every other command that prints
// something (status, ls, wait, submit, cancel, retry, workers, leader,
// deadletter ls, schedule ..., version, config print) prints JSON with it.
// logs ignores it: `drover logs ID -o json` prints the task's raw stdout
// on stdout and its stderr on stderr, exit 0, so a script that asked for
// JSON gets the command's text (here "hello\n") and cannot parse it. It
// should print JSON, or refuse the flag (exit 2).
func TestLogsWithJSONOutput(t *testing.T) {
	root := newRoot()
	daemon(t, root, "scheduler", "--id", "s1")
	daemon(t, root, "worker", "--id", "w1")
	r := drover(t, root, "submit", "--wait", "--", "sh", "-c", "echo hello; echo oops >&2")
	if r.code != 0 {
		t.Fatalf("submit --wait: %+v", r)
	}
	id, _, _ := strings.Cut(r.stderr, "\n") // the id, then the task's stderr
	if r.stdout != "hello\n" || len(id) != 26 {
		t.Fatalf("submit --wait: %+v", r)
	}
	for _, args := range [][]string{{"logs", id, "-o", "json"}, {"logs", id, "--attempt", "1", "-o", "json"}} {
		r := drover(t, root, args...)
		if r.code == 2 {
			oneLineError(t, r, 2, "json")
			continue
		}
		if r.code != 0 || !json.Valid([]byte(r.stdout)) {
			t.Errorf("drover %s: exit %d, stdout %q, stderr %q: not JSON", strings.Join(args, " "), r.code, r.stdout, r.stderr)
			continue
		}
		var got struct {
			ID             string
			Attempt        int
			Stdout, Stderr string
		}
		if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || got.ID != id || got.Attempt != 1 ||
			got.Stdout != "hello\n" || got.Stderr != "oops\n" || r.stderr != "" {
			t.Errorf("drover %s: stdout %q, stderr %q: want the id, attempt 1 and both streams in the JSON", strings.Join(args, " "), r.stdout, r.stderr)
		}
	}
}

// An empty --key (`--key "$JOB_KEY"` with the variable unset) is taken as
// no key: each submit writes a new task, exit 0, so the script that meant
// its resubmits to be safe runs the job twice. An empty --priority,
// --catchup, --concurrency or --state is refused, exit 2, for this very
// reason (an unset variable in a script), and an empty key is none of the
// "printable UTF-8 of at most 1,024 bytes" keys the README describes.
func TestEmptyKeyIsBadInput(t *testing.T) {
	root := newRoot()
	makeCluster(t, root)
	first := drover(t, root, "submit", "--key", "", "--", "true")
	if first.code == 2 {
		oneLineError(t, first, 2, "key")
		assertNothingWritten(t, root)
		return
	}
	second := drover(t, root, "submit", "--key", "", "--", "true")
	if first.code != 0 || second.code != 0 {
		t.Fatalf("submit --key \"\": %+v, %+v", first, second)
	}
	if a, b := strings.TrimSpace(first.stdout), strings.TrimSpace(second.stdout); a != b {
		t.Fatalf("two submits with --key \"\" wrote two tasks (%s, %s), exit 0: an empty key is no key; want exit 2", a, b)
	}
}

// An id given twice to cancel or retry is acted on twice: `cancel X X`
// cancels X, then fails on it ("task already finished: X is cancelled"),
// exit 1, though X ended cancelled as asked; `retry X X` queues X, then
// fails ("cannot be retried: X is queued"), exit 1. When X fails fast
// enough to be finished again before the next copy is handled, each copy
// is one more attempt instead (`retry X X X X X X` of a `false` task ran
// it up to 5 more times against dev). wait takes an id given twice as
// one task; cancel and retry should too (or refuse it, exit 2).
func TestCancelRetryOfAnIDGivenTwice(t *testing.T) {
	root := newRoot()
	r := drover(t, root, "submit", "--on", "gpu=none", "--", "true") // no worker: it stays queued
	if r.code != 0 {
		t.Fatalf("submit: %+v", r)
	}
	id := strings.TrimSpace(r.stdout)
	for _, c := range []struct{ verb, done string }{{"cancel", "cancelled"}, {"retry", "queued again"}} {
		verb := c.verb
		r := drover(t, root, verb, id, id)
		if r.code == 2 {
			oneLineError(t, r, 2, id)
			if r = drover(t, root, verb, id); r.code != 0 {
				t.Fatalf("%s %s: %+v", verb, id, r)
			}
			continue
		}
		if r.code != 0 {
			t.Errorf("%s %s %s: exit %d, stdout %q, stderr %q; want 0 (the task was %s, as asked) or 2", verb, id, id, r.code, r.stdout, r.stderr, c.done)
		}
	}
	// An id in lower case names the same task (queued again by the retry).
	if r := drover(t, root, "cancel", strings.ToLower(id), id); r.code != 0 || strings.Count(r.stdout, "\n") != 1 {
		t.Errorf("cancel of the id in lower then upper case: %+v; want it cancelled once, exit 0", r)
	}
}
