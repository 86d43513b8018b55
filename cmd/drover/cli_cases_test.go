package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/store"
	"github.com/drover-sched/drover/zkserver"
)

// submit -f takes its tasks from the file; the task flags given with it
// (--retries, --priority, --key, --on, --timeout, --env, --name, --shell)
// were silently dropped: the task ran without its retries, and a --key
// meant to make a resubmitted batch safe did nothing. They must either
// apply or be bad usage (exit 2, one line).
func TestSubmitFileWithTaskFlags(t *testing.T) {
	root := newRoot()
	f := filepath.Join(t.TempDir(), "one.jsonl")
	if err := os.WriteFile(f, []byte(`{"cmd":["true"]}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := drover(t, root, "submit", "-f", f, "--retries", "3", "--priority", "high", "--key", "batch-1")
	if r.code == 2 {
		oneLineError(t, r, 2, "")
		assertNothingWritten(t, root)
		return
	}
	if r.code != 0 {
		t.Fatalf("submit -f with task flags: %+v", r)
	}
	id := strings.TrimSpace(r.stdout)
	var task map[string]any
	if err := json.Unmarshal([]byte(drover(t, root, "status", "-o", "json", id).stdout), &task); err != nil {
		t.Fatal(err)
	}
	if task["retries"] != float64(3) || task["priority"] != "high" || task["key"] != "batch-1" {
		t.Fatalf("submit -f %s --retries 3 --priority high --key batch-1 exited 0 and wrote retries %v, priority %v, key %v: the flags were dropped",
			f, task["retries"], task["priority"], task["key"])
	}
}

// A config section named after a command that only groups others
// (schedule, deadletter, config) or after the program itself (drover) is
// accepted by the file's check, but no command reads it: sections are
// looked up by the running command's last word. Its settings must either
// apply or be refused (exit 2), not be silently ignored.
func TestConfigSectionOfAGroupCommand(t *testing.T) {
	root := newRoot()
	makeCluster(t, root)
	dir := t.TempDir()
	for _, tc := range []struct {
		section string
		args    []string
	}{
		{"drover", []string{"version"}},
		{"schedule", []string{"schedule", "ls"}},
		{"deadletter", []string{"deadletter", "ls"}},
	} {
		cfg := filepath.Join(dir, tc.section+".yaml")
		if err := os.WriteFile(cfg, []byte(tc.section+":\n  output: json\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		r := drover(t, root, append([]string{"--config", cfg}, tc.args...)...)
		if r.code == 2 {
			oneLineError(t, r, 2, tc.section)
			continue
		}
		if r.code != 0 || !json.Valid([]byte(r.stdout)) {
			t.Errorf("config %q with `drover %s`: exit %d, stdout %q: the section was accepted and ignored",
				tc.section+": {output: json}", strings.Join(tc.args, " "), r.code, r.stdout)
		}
	}
}

// devRun is a `drover dev` started by startDevWith.
type devRun struct {
	zk, root string
	out      *lockedBuffer
	exited   chan struct{}
	cmd      *exec.Cmd
}

// startDevWith runs `drover [globals] dev` (one scheduler, one worker)
// with env added, and waits until it says the cluster is up; it reports
// false when dev exited with code 2 instead. Dev is stopped at cleanup.
func startDevWith(t *testing.T, env, globals []string) (*devRun, bool) {
	t.Helper()
	port, err := zkserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	d := &devRun{zk: fmt.Sprintf("127.0.0.1:%d", port), root: newRoot(), out: &lockedBuffer{}, exited: make(chan struct{})}
	args := append(append([]string{"--root", d.root, "--session-timeout", "2s"}, globals...),
		"dev", "--zk-port", fmt.Sprint(port), "--schedulers", "1", "--workers", "1")
	d.cmd = exec.Command(binary, args...)
	d.cmd.Env = append(append(os.Environ(), "TMPDIR="+t.TempDir()), env...)
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout, err := d.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	d.cmd.Stderr = d.cmd.Stdout
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	up := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			d.out.WriteString(sc.Text() + "\n")
			if strings.HasPrefix(sc.Text(), "Press Ctrl-C") {
				close(up)
			}
		}
		_ = d.cmd.Wait()
		close(d.exited)
	}()
	t.Cleanup(func() {
		_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-d.exited:
		case <-time.After(30 * time.Second):
			_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
			<-d.exited
		}
		if t.Failed() {
			t.Logf("drover %v output:\n%s", args, d.out)
		}
	})
	select {
	case <-up:
		return d, true
	case <-d.exited:
		if d.cmd.ProcessState.ExitCode() == 2 {
			return d, false
		}
		t.Fatalf("drover dev exited: %s", d.out)
	case <-time.After(90 * time.Second):
		t.Fatalf("drover dev not up after 90s: %s", d.out)
	}
	return d, false
}

// workers lists d's registered workers (over its plain port).
func (d *devRun) workers(t *testing.T) (ws []map[string]any, r result) {
	t.Helper()
	r = droverEnv(t, d.root, "", nil, "--zk", d.zk, "workers", "-o", "json")
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &ws) != nil {
		return nil, r
	}
	return ws, r
}

// drover dev starts a plain ZooKeeper but hands the --zk-tls-* flags on to
// its schedulers and workers, which then speak TLS to its plain port, never
// connect and exit 1 a session timeout later: dev has said the cluster is up,
// and no worker ever registers. (A config file with the zk-tls-* settings
// of a real ensemble does the same.) Either dev serves TLS, or it does not
// pass the flags, or it refuses them (exit 2).
func TestDevWithTLSFlags(t *testing.T) {
	files, err := zkserver.GenerateTLS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	d, up := startDevWith(t, nil, []string{"--zk-tls-ca", files.CA})
	if !up {
		return // refused: fine
	}
	var last result
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("last `drover workers`: %+v", last)
		}
	})
	waitFor(t, 30*time.Second, "the dev worker to register (dev was given --zk-tls-ca)", func() bool {
		var ws []map[string]any
		ws, last = d.workers(t)
		return len(ws) == 1
	})
}

// A config file reaches the workers drover dev starts when it is named by
// DROVER_CONFIG (they inherit the environment and read their worker:
// section), but not when it is named by --config, which dev does not pass
// on: the same file gives dev's workers different settings depending on how
// it was named. Here its worker label is there one way and missing the
// other.
func TestDevConfigFileReachesChildrenEitherWay(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "drover.yaml")
	if err := os.WriteFile(cfg, []byte("worker:\n  label: [zone=from-config]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	labels := func(env, globals []string) string {
		t.Helper()
		d, up := startDevWith(t, env, globals)
		if !up {
			t.Fatalf("dev with config %s refused", cfg)
		}
		var ws []map[string]any
		waitFor(t, 30*time.Second, "the dev worker to register", func() bool {
			ws, _ = d.workers(t)
			return len(ws) == 1
		})
		return fmt.Sprint(ws[0]["labels"])
	}
	byEnv := labels([]string{"DROVER_CONFIG=" + cfg}, nil)
	byFlag := labels(nil, []string{"--config", cfg})
	if byEnv != byFlag {
		t.Fatalf("dev's worker labels: %s with DROVER_CONFIG=%s, %s with --config %s", byEnv, cfg, byFlag, cfg)
	}
}

// A task cancelled while queued after a failed attempt never ran its last
// attempt: `logs` shows the attempt that ran (it printed nothing), and
// `logs --attempt` of the one that never ran says so, exit 1 (it printed
// nothing, exit 0). (Found by review.)
func TestLogsOfAnAttemptThatNeverRan(t *testing.T) {
	root := newRoot()
	st := openStore(t, root)
	now := time.Now().UTC()
	one := 1
	task := &store.Task{ID: ulid.Make().String(), Cmd: []string{"false"}, SubmittedAt: now, Attempt: 2,
		State: store.StateCancelled, FinishedAt: now, Error: "cancelled"}
	task.AddAttempt(store.Attempt{N: 1, Worker: "w", StartedAt: now, FinishedAt: now, ExitCode: one, Stdout: "first run\n"})
	if err := st.CommitCreatingBuckets([]string{task.ID}, func(txn *store.Txn) error { return txn.Finish(task) }); err != nil {
		t.Fatal(err)
	}
	if r := drover(t, root, "logs", task.ID); r.code != 0 || r.stdout != "first run\n" || !strings.Contains(r.stderr, "attempt 2 never ran") {
		t.Fatalf("logs of a task whose last attempt never ran: %+v", r)
	}
	oneLineError(t, drover(t, root, "logs", task.ID, "--attempt", "2"), 1, "has no finished attempt 2")
	if r := drover(t, root, "logs", task.ID, "--attempt", "1"); r.code != 0 || r.stdout != "first run\n" {
		t.Fatalf("logs --attempt 1: %+v", r)
	}
}

// A submit whose --key a newer release's record holds (a rolling upgrade)
// fails, exit 1, one line, and leaves the record: this build cannot tell
// which task holds the key, and must neither move the record aside nor
// write a second task with the key. (Found by review.)
func TestSubmitWithANewerReleasesKey(t *testing.T) {
	root := newRoot()
	r := drover(t, root, "submit", "--key", "k", "--", "true")
	if r.code != 0 {
		t.Fatalf("submit --key k: %+v", r)
	}
	first := strings.TrimSpace(r.stdout)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st, err := store.Open(ctx, store.Config{Servers: []string{zkAddr}, Root: root, SessionTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	key := st.Layout().Key(store.KeyHash("k"))
	newer := []byte(fmt.Sprintf(`{"v":%d,"task":%q}`, store.FormatVersion+1, first))
	if _, err := st.Set(key, newer, -1); err != nil {
		t.Fatal(err)
	}
	oneLineError(t, drover(t, root, "submit", "--key", "k", "--", "true"), 1, "newer Drover")
	if data, _, err := st.Get(key); err != nil || string(data) != string(newer) {
		t.Fatalf("the newer key record is now %q (%v), want it left", data, err)
	}
	var tasks []map[string]any
	if err := json.Unmarshal([]byte(drover(t, root, "ls", "-o", "json").stdout), &tasks); err != nil || len(tasks) != 1 || tasks[0]["id"] != first {
		t.Fatalf("tasks after the refused submit: %v (%v), want %s alone", tasks, err, first)
	}
}

// An argument, env value or label that is not UTF-8 (a file name, which
// Linux allows to be any bytes) is refused, exit 2, one line naming it: the
// record's JSON would turn each such byte into U+FFFD, and the task would
// run another command than the one given. (Found by review.)
func TestSubmitOfTextNotUTF8IsRefused(t *testing.T) {
	root := newRoot()
	oneLineError(t, drover(t, root, "submit", "--", "printf", "a\xffb"), 2, "command argument 1")
	oneLineError(t, drover(t, root, "submit", "--env", "MODE=x\xfe", "--", "true"), 2, "env MODE=")
	oneLineError(t, drover(t, root, "submit", "--on", "gpu=\xff", "--", "true"), 2, "label gpu=")
	oneLineError(t, drover(t, root, "schedule", "add", "s", "--cron", "@every 1h", "--", "rm", "f\xff"), 2, "command argument 1")
	assertNothingWritten(t, root)
}

// A submit -f line that is not valid UTF-8 is refused, exit 2, naming the
// line, as --key refuses such a key: decoded, "job-\xfe" and "job-\xff"
// were both "job-\uFFFD", and the second line got the first's task.
// (Found by review.)
func TestSubmitFileNotUTF8IsRefused(t *testing.T) {
	root := newRoot()
	in := "{\"cmd\":[\"true\"],\"key\":\"job-a\"}\n{\"cmd\":[\"true\"],\"key\":\"job-\xfe\"}\n"
	oneLineError(t, droverIn(t, root, in, "submit", "-f", "-"), 2, "line 2: not valid UTF-8")
	in = "{\"cmd\":[\"true\"],\"key\":\"job-\\udcfe\"}\n"
	oneLineError(t, droverIn(t, root, in, "submit", "-f", "-"), 2, "line 1: \\udcfe is half a UTF-16 surrogate pair")
	oneLineError(t, drover(t, root, "submit", "--key", "job-\xfe", "--", "true"), 2, "key")
	assertNothingWritten(t, root)
}

// An enum flag given empty (--priority "", --catchup "", --concurrency "",
// ls --state "") was taken as its default and the command went on: submit
// and schedule add wrote a task or schedule, ls listed every state. The
// global enums refuse the same input (--output "", --log-level "": exit 2),
// and so does the JSON API (/api/v1/tasks?state= is a 400). An empty value
// that reaches the flag is a mistake (an unset variable in a script:
// --priority "$PRIO"), and bad input is one line, exit 2, naming the flag.
// (Found by review.)
func TestEmptyEnumFlagIsBadInput(t *testing.T) {
	root := newRoot()
	makeCluster(t, root)
	for _, args := range [][]string{
		{"submit", "--priority", "", "--", "true"},
		{"schedule", "add", "empty-priority", "--cron", "@hourly", "--suspend", "--priority", "", "--", "true"},
		{"schedule", "add", "empty-catchup", "--cron", "@hourly", "--suspend", "--catchup", "", "--", "true"},
		{"schedule", "add", "empty-concurrency", "--cron", "@hourly", "--suspend", "--concurrency", "", "--", "true"},
		{"ls", "--state", ""},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			r := drover(t, root, args...)
			if r.code != 2 {
				t.Fatalf("exit %d, want 2 (an empty value is none of the flag's choices); stdout %q, stderr %q", r.code, r.stdout, r.stderr)
			}
			oneLineError(t, r, 2, args[slices.Index(args, "")-1])
		})
	}
}

// A config file's submit section saying priority: "" was read as normal by
// every release before choice flags; with them it failed every submit, -f
// too, though nothing on the command line was wrong. An empty value in a
// file keeps the flag's default; a value that is none of the choices
// (High) is still bad input, one line naming the file's key and the value.
// (Found by review.)
func TestConfigFileEmptyChoiceKeepsTheDefault(t *testing.T) {
	root := newRoot()
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.yaml")
	wrong := filepath.Join(dir, "wrong.yaml")
	if err := os.WriteFile(empty, []byte("submit:\n  priority: \"\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(wrong, []byte("submit:\n  priority: High\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := drover(t, root, "--config", empty, "submit", "--", "true")
	if r.code != 0 {
		t.Fatalf("submit with a config file's priority: \"\": %+v, want exit 0", r)
	}
	var task map[string]any
	if err := json.Unmarshal([]byte(drover(t, root, "status", "-o", "json", strings.TrimSpace(r.stdout)).stdout), &task); err != nil {
		t.Fatal(err)
	}
	if task["priority"] != "normal" {
		t.Fatalf("priority %v, want normal (the default)", task["priority"])
	}
	r = drover(t, root, "--config", wrong, "submit", "--", "true")
	oneLineError(t, r, 2, `priority: want low, normal or high, got "High"`)
}

// logs --attempt 0 names no attempt (they are numbered from 1, and
// --attempt -1 is refused), yet printed the last attempt's output, exit 0:
// the same as leaving the flag out. It is bad input (exit 2, one line), as
// --attempt -1 is; leaving the flag out still prints the last attempt.
// (Found by review.)
func TestLogsAttemptZeroIsBadInput(t *testing.T) {
	root := newRoot()
	st := openStore(t, root)
	now := time.Now().UTC()
	zero := 0
	task := &store.Task{ID: ulid.Make().String(), Cmd: []string{"echo", "hi"}, SubmittedAt: now, Attempt: 1,
		State: store.StateSucceeded, FinishedAt: now, ExitCode: &zero, Stdout: "hi\n"}
	task.AddAttempt(store.Attempt{N: 1, Worker: "w", StartedAt: now, FinishedAt: now, ExitCode: zero, Stdout: "hi\n"})
	if err := st.CommitCreatingBuckets([]string{task.ID}, func(txn *store.Txn) error { return txn.Finish(task) }); err != nil {
		t.Fatal(err)
	}
	oneLineError(t, drover(t, root, "logs", task.ID, "--attempt", "-1"), 2, "--attempt")
	oneLineError(t, drover(t, root, "logs", task.ID, "--attempt", "0"), 2, "--attempt")
	if r := drover(t, root, "logs", task.ID); r.code != 0 || r.stdout != "hi\n" {
		t.Fatalf("logs without --attempt: %+v, want hi and exit 0", r)
	}
}

// worker --allow "" is an allow-list whose one pattern matches no program
// (a program has a name), so the leader placed no command on the worker and
// it sat idle for good, registered and healthy; --allow "[" is refused
// (exit 2) before connecting. An empty pattern (--allow "$PROGS" with the
// variable unset) is refused the same way, and --allow-env "" too (no
// variable has an empty name: every task that set one would fail). The
// refusal comes before connecting: nothing listens at --zk, and the
// command still ends at once. (Found by review.)
func TestWorkerEmptyAllowPatternIsBadInput(t *testing.T) {
	port, err := zkserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	for _, flag := range []string{"--allow", "--allow-env"} {
		// Nothing listens on the port: a worker that took the flag waits for
		// ZooKeeper until the deadline kills it.
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, binary, "--zk", fmt.Sprintf("127.0.0.1:%d", port), "--root", newRoot(),
			"--session-timeout", "1m", "worker", "--id", "w", flag, "")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		err = cmd.Run()
		if ctx.Err() != nil {
			t.Fatalf("worker %s \"\" was accepted: still waiting for ZooKeeper after 15s (stderr %q)", flag, stderr.String())
		}
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		oneLineError(t, result{code: code, stderr: stderr.String()}, 2, strings.TrimPrefix(flag, "--")+" pattern")
	}
}

// make dev's "Dashboard:" line named dev-scheduler-1's address, though the
// leader may be another, whose dashboard alone shows the queue counts: with
// more than one scheduler every dashboard is named, and which one counts
// the queue. (Found by review.)
func TestDevNamesEveryDashboard(t *testing.T) {
	var b strings.Builder
	printDashboards(&b, []string{"127.0.0.1:1"})
	if got := b.String(); got != "Dashboard: http://127.0.0.1:1/  (metrics: /metrics, API: /api/v1/cluster)\n" {
		t.Fatalf("one scheduler: %q", got)
	}
	b.Reset()
	printDashboards(&b, []string{"127.0.0.1:1", "127.0.0.1:2"})
	got := b.String()
	for _, want := range []string{"the leader's", "drover leader", "dev-scheduler-1  http://127.0.0.1:1/", "dev-scheduler-2  http://127.0.0.1:2/"} {
		if !strings.Contains(got, want) {
			t.Fatalf("two schedulers: %q lacks %q", got, want)
		}
	}
}

// config print with DROVER_ZK_AUTH set showed zk-auth-file: "" as though
// no credentials were used: it says where they come from, never what they
// are. (Found by review.)
func TestConfigPrintNamesCredentialSource(t *testing.T) {
	root := newRoot()
	r := droverEnv(t, root, "", []string{"DROVER_ZK_AUTH=owner:s3cret", "DROVER_ZK_AUTH_READONLY=viewer:pw"}, "config", "print")
	if r.code != 0 || !strings.Contains(r.stdout, "zk-auth-file: \"\" # credentials from DROVER_ZK_AUTH; read-only identity from DROVER_ZK_AUTH_READONLY\n") ||
		strings.Contains(r.stdout, "s3cret") || strings.Contains(r.stdout, "viewer") {
		t.Fatalf("config print with DROVER_ZK_AUTH: %+v", r)
	}
	// JSON, which has no comments, says it in a key of its own.
	r = droverEnv(t, root, "", []string{"DROVER_ZK_AUTH=owner:s3cret"}, "config", "print", "-o", "json")
	var got map[string]string
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &got) != nil || got["zk-auth-from"] != "credentials from DROVER_ZK_AUTH" ||
		strings.Contains(r.stdout, "s3cret") {
		t.Fatalf("config print -o json with DROVER_ZK_AUTH: %+v", r)
	}
	// Without credentials, or with them from a file it names, no comment.
	if r := droverEnv(t, root, "", []string{"DROVER_ZK_AUTH=", "DROVER_ZK_AUTH_READONLY="}, "config", "print"); r.code != 0 || !strings.Contains(r.stdout, "zk-auth-file: \"\"\n") {
		t.Fatalf("config print without credentials: %+v", r)
	}
}

// wait -f reads an ids file as submit -f reads a specs file: ReadSpecs
// skips a UTF-8 byte order mark at the file's start (an editor that writes
// one: Notepad), and readIDs, wait -f's reader, took it for part of the
// first id ("word 1: ..."), so a list of ids saved from the same editor
// failed. (Found by review.)
func TestReadIDsSkipsAByteOrderMark(t *testing.T) {
	a, b := ulid.Make().String(), ulid.Make().String()
	ids, err := readIDs(strings.NewReader("\ufeff" + a + "\r\n" + b + "\r\n"))
	if err != nil || len(ids) != 2 || ids[0] != a {
		t.Fatalf("readIDs with a byte order mark = %q, %v; want [%s %s]", ids, err, a, b)
	}
}

// A command line shown by status and schedule get quotes each argument a
// shell would not read as one word: sh -c 'date; sleep 2' read as sh -c
// date; sleep 2. (Found by review.)
func TestCommandStrQuotesWhatAShellSplits(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"sh", "-c", "date; sleep 2"}, `sh -c "date; sleep 2"`},
		{[]string{"echo", "", "a b", "$HOME", "plain-arg=1"}, `echo "" "a b" "$HOME" plain-arg=1`},
		{[]string{"printf", "a\x00b"}, `printf "a\x00b"`},
	} {
		if got := commandStr(c.args); got != c.want {
			t.Errorf("commandStr(%q) = %s, want %s", c.args, got, c.want)
		}
	}
}

// status marks a lost attempt (its worker's doing: gone, withdrawn, out of
// files), which does not count against the retries: a worker out of open
// files left exit 127 and "start: ... too many open files", read as a
// command not found.
func TestStatusMarksLostAttempts(t *testing.T) {
	root := newRoot()
	st := openStore(t, root)
	now := time.Now().UTC()
	zero := 0
	task := &store.Task{ID: ulid.Make().String(), Cmd: []string{"true"}, SubmittedAt: now, Attempt: 2,
		State: store.StateSucceeded, FinishedAt: now, ExitCode: &zero}
	task.AddAttempt(store.Attempt{N: 1, Worker: "w1", StartedAt: now, FinishedAt: now, ExitCode: 127,
		Error: "start: pipe2: too many open files", Lost: true})
	task.AddAttempt(store.Attempt{N: 2, Worker: "w2", StartedAt: now, FinishedAt: now})
	if err := st.CommitCreatingBuckets([]string{task.ID}, func(txn *store.Txn) error { return txn.Finish(task) }); err != nil {
		t.Fatal(err)
	}
	r := drover(t, root, "status", task.ID)
	if r.code != 0 || !strings.Contains(r.stdout, "too many open files (lost)") || strings.Contains(r.stdout, "exit 0 (lost)") {
		t.Fatalf("status: %+v, want attempt 1 marked lost and attempt 2 not", r)
	}
}

// schedule get showed "tz -" for a spec with a CRON_TZ= prefix, whose slots
// are reckoned in that zone.
func TestScheduleZoneShown(t *testing.T) {
	for _, c := range []struct{ spec, tz, want string }{
		{"0 2 * * *", "", ""}, {"0 2 * * *", "Europe/Berlin", "Europe/Berlin"},
		{"CRON_TZ=America/New_York 0 2 * * 7", "", "America/New_York"}, {"TZ=Asia/Tokyo @daily", "", "Asia/Tokyo"},
	} {
		if got := scheduleZone(c.spec, c.tz); got != c.want {
			t.Errorf("scheduleZone(%q, %q) = %q, want %q", c.spec, c.tz, got, c.want)
		}
	}
}

// An empty --id ("$WORKER_ID" unset) is refused, as an empty --key is; a
// Kafka-style chroot in --zk is named as such, not as a bad port
// (review133's notes).
func TestEmptyIDAndZKChrootRefused(t *testing.T) {
	root := newRoot()
	oneLineError(t, drover(t, root, "worker", "--id", ""), 2, `--id "": empty`)
	oneLineError(t, drover(t, root, "scheduler", "--id", ""), 2, `--id "": empty`)
	oneLineError(t, drover(t, root, "--zk", "127.0.0.1:2181/drover", "ls"), 2, "give the path as --root")
}

// An empty -f (an unset variable) names no file: said so, not "no command
// given"; a word of wait -f too long for an id says so in its own words
// (review174's notes).
func TestEmptyFileFlagAndLongWord(t *testing.T) {
	root := newRoot()
	oneLineError(t, drover(t, root, "submit", "-f", ""), 2, `-f "": no file named`)
	oneLineError(t, drover(t, root, "wait", "-f", ""), 2, `-f "": no file named`)
	long := filepath.Join(t.TempDir(), "ids")
	if err := os.WriteFile(long, bytes.Repeat([]byte("A"), 5000), 0o644); err != nil {
		t.Fatal(err)
	}
	r := drover(t, root, "wait", "-f", long)
	if r.code != 2 || strings.Contains(r.stderr, "bufio") {
		t.Fatalf("wait -f of a 5,000-byte word: %+v", r)
	}
}

// bench's in-process workers are bounded: each holds a session (review174's
// note: --workers had no upper bound).
func TestBenchWorkersBounded(t *testing.T) {
	oneLineError(t, drover(t, newRoot(), "bench", "--workers", "20000000"), 2, "at most 5000")
	oneLineError(t, drover(t, newRoot(), "bench", "--scale-workers", "5001"), 2, "at most 5000")
}
