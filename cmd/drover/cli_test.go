package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/sys/unix"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
	"github.com/drover-sched/drover/zkserver"
)

// droverIn runs the binary with stdin.
func droverIn(t *testing.T, root, stdin string, args ...string) result {
	t.Helper()
	return droverEnv(t, root, stdin, nil, args...)
}

// droverEnv runs the binary with stdin and env added to the environment.
func droverEnv(t *testing.T, root, stdin string, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, append([]string{"--zk", zkAddr, "--root", root, "--session-timeout", "2s"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(stdin), &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run drover %v: %v", args, err)
	}
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// oneLineError checks r exited with code and printed exactly one line,
// "drover: ...", containing contains.
func oneLineError(t *testing.T, r result, code int, contains string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit %d, want %d; stderr %q", r.code, code, r.stderr)
	}
	if strings.Count(strings.TrimRight(r.stderr, "\n"), "\n") != 0 || !strings.HasPrefix(r.stderr, "drover: ") ||
		!strings.Contains(r.stderr, contains) {
		t.Fatalf("want one line \"drover: ...%s...\", got %q", contains, r.stderr)
	}
}

// A root where nothing ever ran is no cluster: read-only commands, and those
// that change a task or schedule that must exist, say so (exit 1) and create
// nothing there (schedule get and cancel used to make a cluster's
// directories at a mistyped root).
func TestNoClusterAtRoot(t *testing.T) {
	root := newRoot()
	for _, args := range [][]string{{"workers"}, {"ls"}, {"leader"}, {"status", "01M87N42QDW6A5132CYFVGQTV0"}, {"deadletter", "ls"}, {"schedule", "ls"},
		{"schedule", "get", "x"}, {"schedule", "history", "x"}, {"schedule", "rm", "x"}, {"schedule", "pause", "x"}, {"schedule", "resume", "x"},
		{"schedule", "trigger", "x"}, {"cancel", "01M87N42QDW6A5132CYFVGQTV0"}, {"retry", "01M87N42QDW6A5132CYFVGQTV0"}} {
		oneLineError(t, drover(t, root, args...), 1, "no Drover cluster at "+root)
	}
	oneLineError(t, drover(t, root, "workers"), 1, "check --root") // still nothing created
}

// A schedule removed while no leader runs is gone for every command, and its
// name can be taken again.
func TestScheduleRemovedWithoutALeader(t *testing.T) {
	root := newRoot()
	makeCluster(t, root)
	if r := drover(t, root, "schedule", "add", "nightly", "--cron", "@daily", "--", "echo", "old"); r.code != 0 {
		t.Fatalf("add: %+v", r)
	}
	if r := drover(t, root, "schedule", "rm", "nightly"); r.code != 0 {
		t.Fatalf("rm: %+v", r)
	}
	oneLineError(t, drover(t, root, "schedule", "get", "nightly"), 1, "schedule nightly not found")
	oneLineError(t, drover(t, root, "schedule", "rm", "nightly"), 1, "schedule nightly not found")
	oneLineError(t, drover(t, root, "schedule", "pause", "nightly"), 1, "schedule nightly not found")
	if r := drover(t, root, "schedule", "ls", "-o", "json"); r.code != 0 || strings.TrimSpace(r.stdout) != "[]" {
		t.Fatalf("ls after rm: %+v", r)
	}
	if r := drover(t, root, "schedule", "add", "nightly", "--cron", "@daily", "--", "echo", "new"); r.code != 0 {
		t.Fatalf("add again: %+v", r)
	}
	if r := drover(t, root, "schedule", "get", "nightly", "-o", "json"); r.code != 0 || !strings.Contains(r.stdout, `"new"`) || strings.Contains(r.stdout, `"old"`) {
		t.Fatalf("get after adding again: %+v", r)
	}
}

// A pause of a schedule at the edge of the bound its reader keeps, with no
// history to drop, is made: a pause changes only the record's firing
// state, which weighs nothing. One with no room for it (active runs
// written by hand take its state past what weighs nothing) is refused as
// bad input: one line saying what to do, exit 2, nothing written. It was
// written past the bound, and the schedule was moved aside by the next
// leader; and a pause of the first was refused too, though it could fire.
func TestSchedulePauseWithNoRoomIsRefused(t *testing.T) {
	root := newRoot()
	st := openStore(t, root)
	for _, name := range []string{"edge", "full"} {
		rec := &store.Schedule{Name: name, Cron: "@daily", Catchup: store.CatchupNone, Concurrency: store.ConcurrencyAllow,
			CreatedAt: time.Now().UTC(), KeepSucceeded: 10, KeepFailed: 10, Task: store.Task{Cmd: []string{"true"}}}
		if name == "full" {
			rec.Active = drovertest.HandWrittenRuns()
		}
		drovertest.PadToFiringBound(t, rec, 10)
		if err := st.AddSchedule(rec); err != nil {
			t.Fatal(err)
		}
	}
	if r := drover(t, root, "schedule", "pause", "edge"); r.code != 0 {
		t.Fatalf("pause of a schedule at the bound: %+v", r)
	}
	oneLineError(t, drover(t, root, "schedule", "pause", "full"), 2, "a firing may write")
	oneLineError(t, drover(t, root, "schedule", "pause", "full"), 2, "drover schedule rm full")
	if r := drover(t, root, "schedule", "get", "full", "-o", "json"); r.code != 0 || strings.Contains(r.stdout, `"suspended"`) {
		t.Fatalf("get after the refused pause: %+v", r)
	}
}

func TestEmptyCluster(t *testing.T) {
	root := newRoot()
	makeCluster(t, root)
	if r := drover(t, root, "workers"); r.code != 0 || strings.TrimSpace(r.stdout) != "ID  HOST  LABELS  CAPACITY  RUNNING  WAITING  VERSION  STATE" {
		t.Fatalf("workers: %+v", r)
	}
	if r := drover(t, root, "workers", "-o", "json"); r.code != 0 || strings.TrimSpace(r.stdout) != "[]" {
		t.Fatalf("workers -o json: %+v", r)
	}
	oneLineError(t, drover(t, root, "leader", "-o", "json"), 1, "no scheduler is running")
	if r := drover(t, root, "ls"); r.code != 0 || !strings.HasPrefix(r.stdout, "ID") || strings.Count(r.stdout, "\n") != 1 {
		t.Fatalf("ls: %+v", r)
	}
	if r := drover(t, root, "version"); r.code != 0 || !strings.HasPrefix(r.stdout, "drover ") {
		t.Fatalf("version: %+v", r)
	}
}

// ls says when more tasks match than --limit shows (on stderr: stdout stays
// the table or the JSON), and only then.
func TestLsSaysWhenMoreMatch(t *testing.T) {
	root := newRoot()
	for range 3 {
		if r := drover(t, root, "submit", "--", "true"); r.code != 0 {
			t.Fatalf("submit: %+v", r)
		}
	}
	const more = "the newest 2 shown; more match"
	var list []map[string]any
	r := drover(t, root, "ls", "--limit", "2", "-o", "json")
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || r.code != 0 || len(list) != 2 || !strings.Contains(r.stderr, more) {
		t.Fatalf("ls --limit 2 of 3: %+v", r)
	}
	for _, args := range [][]string{{"ls", "--limit", "3"}, {"ls", "--limit", "0"}, {"ls", "--limit", "2", "--state", "running"}} {
		if r := drover(t, root, args...); r.code != 0 || r.stderr != "" {
			t.Fatalf("%v: %+v", args, r)
		}
	}
}

// ls of a rare state whose --scan ran out after a full page says so
// without claiming tasks are missing: the page is the newest tasks in that
// state, and only whether more match is unknown. It said "matching tasks
// may be missing" after a full page of the newest.
func TestLsFullPageOfARareState(t *testing.T) {
	root := newRoot()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st := openStore(t, root)
	// Oldest first: 3 queued tasks (no scheduler runs), 6 succeeded, 2 failed.
	now := time.Now()
	task := func(at time.Time, state store.State) *store.Task {
		return &store.Task{ID: store.NewTaskID(at), Cmd: []string{"true"}, SubmittedAt: at.UTC(), Attempt: 1, State: state, FinishedAt: at.UTC()}
	}
	var queued []*store.Task
	for range 3 {
		queued = append(queued, task(now.Add(-time.Hour), store.StateQueued))
	}
	if _, err := st.Submit(ctx, queued); err != nil {
		t.Fatal(err)
	}
	for i, state := range []store.State{"succeeded", "succeeded", "succeeded", "succeeded", "succeeded", "succeeded", "failed", "failed"} {
		done := task(now.Add(time.Duration(i-30)*time.Minute), state)
		if err := st.CommitCreatingBuckets([]string{done.ID}, func(txn *store.Txn) error { return txn.Finish(done) }); err != nil {
			t.Fatal(err)
		}
	}
	const missing, unknown = "matching tasks may be missing", "the newest 2 shown; whether more match is unknown"
	rows := func(r result) int { return strings.Count(r.stdout, "\n") - 1 }
	// The 2 failed are read in the first 3 records, and the rest of the 5
	// finds no third.
	r := drover(t, root, "ls", "--state", "failed", "--limit", "2", "--scan", "5")
	if r.code != 0 || rows(r) != 2 || strings.Contains(r.stderr, missing) || !strings.Contains(r.stderr, unknown) {
		t.Fatalf("ls --state failed --limit 2 --scan 5: %+v", r)
	}
	// A page not full: failed tasks may lie beyond the records read.
	r = drover(t, root, "ls", "--state", "failed", "--limit", "3", "--scan", "5")
	if r.code != 0 || rows(r) != 2 || !strings.Contains(r.stderr, missing) {
		t.Fatalf("ls --state failed --limit 3 --scan 5: %+v", r)
	}
	// A full page of every state from the queue, whose walk used the whole
	// --scan: the newer finished tasks were never read, and the page is not
	// the newest.
	r = drover(t, root, "ls", "--limit", "2", "--scan", "2")
	if r.code != 0 || rows(r) != 2 || !strings.Contains(r.stderr, missing) {
		t.Fatalf("ls --limit 2 --scan 2: %+v", r)
	}
}

// wait, cancel and retry of a task whose record does not decode say so in
// one line naming the task, exit 1 as for other per-task errors, and move
// the record to deadletter; cancel and retry go on with the other ids.
func TestJunkTaskRecordIsOneErrorLine(t *testing.T) {
	root := newRoot()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st, err := store.Open(ctx, store.Config{Servers: []string{zkAddr}, Root: root, SessionTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	lay := st.Layout()
	now := time.Now()
	var tasks []*store.Task
	for range 5 {
		tasks = append(tasks, &store.Task{ID: store.NewTaskID(now), Cmd: []string{"true"}, SubmittedAt: now.UTC(), Attempt: 1, State: store.StateQueued})
	}
	if _, err := st.Submit(ctx, tasks); err != nil {
		t.Fatal(err)
	}
	a, b, c, d, e := tasks[0].ID, tasks[1].ID, tasks[2].ID, tasks[3].ID, tasks[4].ID
	if _, err := st.Set(lay.QueueItem(a), []byte("{junk"), -1); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{b, d} {
		if err := st.Create(lay.Result(id), []byte("{junk")); err != nil {
			t.Fatal(err)
		}
	}
	gone := func(p string) {
		t.Helper()
		if ok, _, err := st.Exists(p); err != nil || ok {
			t.Fatalf("%s is still there (%v)", p, err)
		}
	}
	oneLineError(t, drover(t, root, "wait", a), 1, "task "+a)
	oneLineError(t, drover(t, root, "wait", a), 1, "not found") // moved aside: gone
	gone(lay.QueueItem(a))
	r := drover(t, root, "cancel", b, c)
	if r.stdout != "cancelled "+c+"\n" {
		t.Fatalf("cancel of a junk and a good task: stdout %q", r.stdout)
	}
	oneLineError(t, r, 1, "task "+b)
	if !strings.Contains(r.stderr, "moved to deadletter") {
		t.Fatalf("cancel: %q; want it to say the record was moved to deadletter", r.stderr)
	}
	gone(lay.Result(b))
	// A wait for many: the junk result fails it at once, naming its task.
	oneLineError(t, drover(t, root, "wait", d, e), 1, "task "+d)
	gone(lay.Result(d))
}

func TestSubmitInputErrors(t *testing.T) {
	root := newRoot()
	// Bad lines read from stdin name their line; nothing of the good lines is written.
	in := "{\"cmd\":[\"true\"]}\n\n{\"cmd\":[\"true\"],\"timeout\":\"soon\"}\n"
	oneLineError(t, droverIn(t, root, in, "submit", "-f", "-"), 2, "line 3")
	oneLineError(t, drover(t, root, "submit", "--"), 2, "no command")
	oneLineError(t, drover(t, root, "submit", "--name", "a\tb", "--", "true"), 2, "name")
	oneLineError(t, drover(t, root, "submit", "--priority", "bogus", "--", "true"), 2, "priority")
	oneLineError(t, drover(t, root, "submit", "--timeout", "x", "--", "true"), 2, "timeout")
	oneLineError(t, drover(t, root, "submit", "--timeout", "-1s", "--", "true"), 2, "timeout")
	oneLineError(t, drover(t, root, "submit", "--on", "a/b=c", "--", "true"), 2, "label")
	oneLineError(t, drover(t, root, "submit", "--env", "=x", "--", "true"), 2, "--env")
	oneLineError(t, drover(t, root, "status", "01ARZ3NDEKTSV4RRFFQ69G5FA"), 2, "ULID")
	oneLineError(t, drover(t, root, "version", "extra"), 2, "no arguments")
	// A task too large for one znode: the message says its size and the limit.
	// (Each argument stays under Linux's 128 KiB limit for one argv string.)
	args := []string{"submit", "--", "echo"}
	for i := 0; i < 10; i++ {
		args = append(args, strings.Repeat("x", 100*1024))
	}
	r := drover(t, root, args...)
	oneLineError(t, r, 2, "too large")
	if !strings.Contains(r.stderr, "983040-byte limit") {
		t.Fatalf("no size and limit in %q", r.stderr)
	}
	assertNothingWritten(t, root)

	// Good input from stdin: one id per line, in order.
	r = droverIn(t, root, "{\"cmd\":[\"true\"],\"name\":\"a\"}\n\n{\"cmd\":[\"true\"],\"name\":\"b\",\"timeout\":\"1m\"}\n", "submit", "-f", "-")
	ids := strings.Fields(r.stdout)
	if r.code != 0 || len(ids) != 2 {
		t.Fatalf("submit -f -: %+v", r)
	}
	for i, name := range []string{"a", "b"} {
		var task map[string]any
		// A lower-case id names the same task.
		if err := json.Unmarshal([]byte(drover(t, root, "status", "-o", "json", strings.ToLower(ids[i])).stdout), &task); err != nil {
			t.Fatal(err)
		}
		if task["id"] != ids[i] || task["name"] != name || task["state"] != "queued" || task["attempts"] != float64(0) {
			t.Fatalf("status of %s: %v", ids[i], task)
		}
	}
	if r := drover(t, root, "status", ids[1]); r.code != 0 || !strings.Contains(r.stdout, "1/1") || !strings.Contains(r.stdout, "queued") {
		t.Fatalf("status table: %+v", r)
	}
	oneLineError(t, drover(t, root, "logs", ids[0]), 1, "still queued")
}

func TestSubmitWaitExitCodes(t *testing.T) {
	root := newRoot()
	daemon(t, root, "scheduler", "--id", "s1")
	daemon(t, root, "worker", "--id", "w1", "--capacity", "2")
	if r := drover(t, root, "submit", "--wait", "--", "sh", "-c", "exit 3"); r.code != 3 {
		t.Fatalf("submit --wait -- sh -c 'exit 3': %+v", r)
	}
	// Ended without an exit code of its own (timeout): exit 1 with a message.
	r := drover(t, root, "submit", "--wait", "--timeout", "200ms", "--", "sleep", "30")
	if r.code != 1 || !strings.Contains(r.stderr, "timeout") {
		t.Fatalf("timed-out task: %+v", r)
	}
	// wait: 0 only when all succeeded, else the first failing task's code.
	ok := strings.TrimSpace(drover(t, root, "submit", "--", "true").stdout)
	bad := strings.TrimSpace(drover(t, root, "submit", "--", "sh", "-c", "exit 5").stdout)
	if r := drover(t, root, "wait", ok); r.code != 0 {
		t.Fatalf("wait ok: %+v", r)
	}
	if r := drover(t, root, "wait", ok, bad); r.code != 5 {
		t.Fatalf("wait ok bad: %+v", r)
	}
	var list []map[string]any
	r = drover(t, root, "ls", "-o", "json", "--state", "failed", "--limit", "1")
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || len(list) != 1 || list[0]["id"] != bad ||
		list[0]["exit_code"] != float64(5) || list[0]["attempts"] != float64(1) {
		t.Fatalf("ls failed: %q %v", r.stdout, err)
	}
	// A listing reads at most --scan records, newest first, and says so
	// when matching tasks may lie beyond them.
	r = drover(t, root, "ls", "-o", "json", "--state", "succeeded", "--scan", "1") // the newest is bad
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || r.code != 0 || len(list) != 0 ||
		!strings.Contains(r.stderr, "stopped after reading 1 task record(s)") {
		t.Fatalf("ls --scan 1: %+v", r)
	}
}

// TestTaskJSONFieldsAlwaysPresent: a queued task's JSON still has worker ("")
// and exit_code (null), as README promises.
func TestTaskJSONFieldsAlwaysPresent(t *testing.T) {
	root := newRoot()
	id := strings.TrimSpace(drover(t, root, "submit", "--", "true").stdout)
	check := func(what string, task map[string]any) {
		t.Helper()
		for _, k := range []string{"id", "state", "attempts", "exit_code", "worker"} {
			if _, ok := task[k]; !ok {
				t.Errorf("%s: no %q in %v", what, k, task)
			}
		}
		if task["worker"] != "" || task["exit_code"] != nil {
			t.Errorf("%s: worker %v, exit_code %v; want \"\" and null", what, task["worker"], task["exit_code"])
		}
	}
	var task map[string]any
	if err := json.Unmarshal([]byte(drover(t, root, "status", "-o", "json", id).stdout), &task); err != nil {
		t.Fatal(err)
	}
	check("status", task)
	var list []map[string]any
	if err := json.Unmarshal([]byte(drover(t, root, "ls", "-o", "json").stdout), &list); err != nil || len(list) != 1 {
		t.Fatalf("ls: %v %v", list, err)
	}
	check("ls", list[0])
}

// TestJSONOutputSubmitWaitVersion: submit, wait and version honour -o json.
func TestJSONOutputSubmitWaitVersion(t *testing.T) {
	root := newRoot()
	var v map[string]string
	if r := drover(t, root, "-o", "json", "version"); r.code != 0 || json.Unmarshal([]byte(r.stdout), &v) != nil || v["version"] == "" {
		t.Fatalf("version -o json: %+v", r)
	}
	type sub struct {
		ID       string `json:"id"`
		Existing *bool  `json:"existing"`
	}
	submit := func(stdin string, args ...string) []sub {
		t.Helper()
		r := droverIn(t, root, stdin, append([]string{"-o", "json", "submit"}, args...)...)
		var list []sub
		if err := json.Unmarshal([]byte(r.stdout), &list); r.code != 0 || err != nil {
			t.Fatalf("submit %v: %+v %v", args, r, err)
		}
		for _, s := range list {
			if s.ID == "" || s.Existing == nil {
				t.Fatalf("submit %v: %q lacks id or existing", args, r.stdout)
			}
		}
		return list
	}
	first := submit("", "--key", "k1", "--", "true")
	again := submit("", "--key", "k1", "--", "true")
	if len(first) != 1 || *first[0].Existing || len(again) != 1 || !*again[0].Existing || again[0].ID != first[0].ID {
		t.Fatalf("submit --key twice: %+v then %+v", first, again)
	}
	many := submit("{\"cmd\":[\"true\"],\"key\":\"k1\"}\n{\"cmd\":[\"true\"]}\n", "-f", "-")
	if len(many) != 2 || !*many[0].Existing || many[0].ID != first[0].ID || *many[1].Existing {
		t.Fatalf("submit -f: %+v", many)
	}
	// wait -o json prints the finished tasks (a cancelled one needs no workers).
	if r := drover(t, root, "cancel", many[1].ID); r.code != 0 {
		t.Fatalf("cancel: %+v", r)
	}
	r := drover(t, root, "-o", "json", "wait", many[1].ID)
	var tasks []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &tasks); err != nil || r.code != 1 || len(tasks) != 1 ||
		tasks[0]["id"] != many[1].ID || tasks[0]["state"] != "cancelled" {
		t.Fatalf("wait -o json: %+v %v", r, err)
	}
}

// TestZKAddressValidation: a malformed --zk server is a usage error found
// before connecting, as is a read-only identity without owner credentials.
func TestZKAddressValidation(t *testing.T) {
	root := newRoot()
	for _, zk := range []string{"a:b:c", "127.0.0.1:99999", "127.0.0.1:0", "h:2181,127.0.0.1:x", ":2181", "zk1:2181/chroot", " , "} {
		// The session timeout is long: exiting 2 at all means no connection was tried.
		oneLineError(t, drover(t, root, "--zk", zk, "--session-timeout", "1m", "workers"), 2, "--zk")
	}
	// A bare host takes ZooKeeper's default port, as before; the test server is not on it.
	if r := drover(t, root, "--zk", "127.0.0.1,"+zkAddr, "workers"); r.code == 2 {
		t.Fatalf("--zk with a bare host: %+v", r)
	}
	oneLineError(t, droverEnv(t, root, "", []string{"DROVER_ZK_AUTH=", "DROVER_ZK_AUTH_READONLY=viewer:pw"}, "workers"),
		2, "DROVER_ZK_AUTH_READONLY")
	r := droverEnv(t, root, "", []string{"DROVER_ZK_AUTH=owner:pw", "DROVER_ZK_AUTH_READONLY=nocolon"}, "workers")
	oneLineError(t, r, 2, "DROVER_ZK_AUTH_READONLY")
	if strings.Contains(r.stderr, "nocolon") {
		t.Fatalf("credentials echoed: %q", r.stderr)
	}
}

// TestDaemonFlagsCheckedBeforeConnecting: bad daemon flags exit 2 at once,
// not after a session timeout spent on an unreachable ZooKeeper.
func TestDaemonFlagsCheckedBeforeConnecting(t *testing.T) {
	port, err := zkserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	down := fmt.Sprintf("127.0.0.1:%d", port)
	for _, args := range [][]string{
		{"scheduler", "--timeout-grace", "-1s"},
		{"scheduler", "--result-retention", "0s"},
		{"scheduler", "--max-results", "-5"},
		{"scheduler", "--max-results", "0"},
		{"worker", "--allow", "["},
		{"worker", "--run-as", "nosuchuser-drover-test"},
		{"worker", "--label", "a/b=c"},
		{"worker", "--label", "zone=a b"},
	} {
		start := time.Now()
		r := drover(t, newRoot(), append([]string{"--zk", down, "--session-timeout", "1m"}, args...)...)
		want := args[1]
		if args[0] == "worker" { // worker.CheckConfig's words: "allow pattern", "run as", "label"
			want = strings.ReplaceAll(strings.TrimPrefix(want, "--"), "-", " ")
		}
		oneLineError(t, r, 2, want)
		if d := time.Since(start); d > 20*time.Second {
			t.Errorf("%v took %v: it waited for ZooKeeper", args, d)
		}
	}
}

// TestHelpTopics: help for a command works; help for an unknown one is a
// usage error, not the root's help with exit 0.
func TestHelpTopics(t *testing.T) {
	root := newRoot()
	// No command at all is bad usage: one line on stderr, exit 2, nothing
	// on stdout (it printed the whole usage on stderr, against the one-line
	// rule for bad input).
	r := drover(t, root)
	oneLineError(t, r, 2, "no command given (drover help lists them)")
	if r.stdout != "" {
		t.Fatalf("drover alone printed on stdout: %q", r.stdout)
	}
	for _, args := range [][]string{{"--help"}, {"help"}, {"-h"}} {
		if r := drover(t, root, args...); r.code != 0 || r.stderr != "" || !strings.Contains(r.stdout, "Available Commands:") {
			t.Fatalf("drover %v: %+v", args, r)
		}
	}
	oneLineError(t, drover(t, root, "help", "nosuchtopic"), 2, "unknown command")
	if r := drover(t, root, "help", "schedule", "add"); r.code != 0 || !strings.Contains(r.stdout, "cron") {
		t.Fatalf("help schedule add: code %d, stdout %q", r.code, r.stdout)
	}
	// Help and completion work whatever the config file holds: they failed
	// on the config they never use, and help is where a user goes next.
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("bogus: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"help"}, {"help", "submit"}, {"completion", "bash"}} {
		if r := droverEnv(t, root, "", []string{"DROVER_CONFIG=" + bad}, args...); r.code != 0 || r.stdout == "" {
			t.Fatalf("drover %v with a bad config: %+v", args, r)
		}
	}
	oneLineError(t, droverEnv(t, root, "", []string{"DROVER_CONFIG=" + bad}, "workers"), 2, "unknown setting")
}

// TestCompletionArgs: an unknown shell or an extra argument is a usage error.
func TestCompletionArgs(t *testing.T) {
	root := newRoot()
	oneLineError(t, drover(t, root, "completion", "foo"), 2, "unknown shell")
	oneLineError(t, drover(t, root, "completion", "bash", "extra"), 2, "no arguments")
	if r := drover(t, root, "completion", "bash"); r.code != 0 || !strings.Contains(r.stdout, "bash completion") {
		t.Fatalf("completion bash: code %d, stderr %q", r.code, r.stderr)
	}
}

// TestConfigFileValidation: unknown keys and values of the wrong kind are
// usage errors; a top-level key that is a flag of some command applies where
// that flag exists and is ignored elsewhere.
func TestConfigFileValidation(t *testing.T) {
	root := newRoot()
	dir := t.TempDir()
	write := func(name, content string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for content, want := range map[string]string{
		"worker:\n  capacty: 8\n":         `unknown setting "capacty"`,
		"capacty: 8\n":                    `unknown setting "capacty"`,
		"zk: {a: b}\n":                    "zk: want a value, not a mapping",
		"zk: null\n":                      "zk: no value",
		"root: [/a, /b]\n":                "root: want one value, not a list",
		"worker:\n  capacity: [1, 2]\n":   "capacity: want one value, not a list",
		"worker:\n  label: [{a: b}]\n":    "label: list item",
		"worker: 8\n":                     "worker: want a section",
		"- zk\n":                          "cannot unmarshal",
		"scheduler:\n  label: [a=b]\n":    `unknown setting "label"`,
		"submit:\n  timeout: {a: 1}\n":    "timeout: want a value",
		"session-timeout: 5s\nls: []\n":   "ls: want a section",
		"worker:\n  drain-timeout: ~\n":   "drain-timeout: no value",
		"dev:\n  workers: [1]\n":          "workers: want one value",
		"label: [a=b]\nworker:\n  x: 1\n": `unknown setting "x"`,
	} {
		// Checked whichever command runs, before connecting.
		oneLineError(t, drover(t, root, "--config", write("bad.yaml", content), "ls"), 2, want)
	}
	// A worker flag at the top level: client commands ignore it, the worker
	// and bench (which also have --capacity) take it.
	top := write("top.yaml", "capacity: 0\nlabel: [zone=eu]\nworker:\n")
	makeCluster(t, root)
	if r := drover(t, root, "--config", top, "ls"); r.code != 0 {
		t.Fatalf("ls with a worker flag at the top level: %+v", r)
	}
	oneLineError(t, drover(t, root, "--config", top, "worker"), 2, "--capacity 0")
	oneLineError(t, drover(t, root, "--config", top, "bench"), 2, "--capacity")
	// The shipped example is valid.
	if r := drover(t, root, "--config", "../../configs/drover.yaml", "config", "print"); r.code != 0 {
		t.Fatalf("configs/drover.yaml: %+v", r)
	}
}

// noControl fails unless s has no control characters but line ends.
func noControl(t *testing.T, what, s string) {
	t.Helper()
	for _, r := range strings.ReplaceAll(s, "\n", "") {
		if unicode.IsControl(r) || r == utf8.RuneError || r == '\u202e' {
			t.Fatalf("%s: %q in %q", what, r, s)
		}
	}
}

// TestTableQuotesUnprintable: a cell with a newline, tab, escape sequence,
// bidi override or invalid UTF-8 is written quoted; other text stays as is.
func TestTableQuotesUnprintable(t *testing.T) {
	cells := []string{"a\nb", "x\ty", "\x1b]2;pwned\a", "\xff", "ok\u202eko", "café"}
	var b bytes.Buffer
	if err := table(&b, "A\tB", [][]string{cells[:3], cells[3:]}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	noControl(t, "table", out)
	if n := strings.Count(out, "\n"); n != 3 {
		t.Fatalf("%d lines, want 3: %q", n, out)
	}
	for _, c := range cells[:5] {
		if !strings.Contains(out, strconv.Quote(c)) {
			t.Errorf("no %s in %q", strconv.Quote(c), out)
		}
	}
	if !strings.Contains(out, " café\n") {
		t.Errorf("printable text changed: %q", out)
	}
}

// TestStatusLsShowCommandQuoted: a command argument that forges a table row
// and sets the terminal title is shown quoted by status and ls -o wide, and
// exactly by -o json.
func TestStatusLsShowCommandQuoted(t *testing.T) {
	root := newRoot()
	arg := "x\n01M000000000000000000FAKE0  -  succeeded\x1b]2;pwned\a"
	r := drover(t, root, "submit", "--name", "n", "--", "echo", arg)
	id := strings.TrimSpace(r.stdout)
	if r.code != 0 || id == "" {
		t.Fatalf("submit: %+v", r)
	}
	r = drover(t, root, "status", id)
	noControl(t, "status", r.stdout)
	if r.code != 0 || !strings.Contains(r.stdout, "command    echo "+strconv.Quote(arg)+"\n") || strings.Contains(r.stdout, "\nFAKE") {
		t.Fatalf("status: %+v", r)
	}
	r = drover(t, root, "ls", "-o", "wide")
	noControl(t, "ls -o wide", r.stdout)
	if r.code != 0 || strings.Count(r.stdout, "\n") != 2 || !strings.HasSuffix(r.stdout, "echo "+strconv.Quote(arg)+"\n") {
		t.Fatalf("ls -o wide: %+v", r)
	}
	var list []struct{ Cmd []string }
	if r := drover(t, root, "ls", "-o", "json"); json.Unmarshal([]byte(r.stdout), &list) != nil || len(list) != 1 ||
		len(list[0].Cmd) != 2 || list[0].Cmd[1] != arg {
		t.Fatalf("ls -o json: %+v", r)
	}
}

// devCluster is a running `drover dev` with its own TMPDIR.
type devCluster struct {
	cmd    *exec.Cmd
	zk     string // its ZooKeeper's address
	root   string
	tmp    string
	pids   []int // its ZooKeeper and children, from the banner
	out    *lockedBuffer
	exited chan struct{}
}

// lockedBuffer is output that one goroutine writes while a test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) WriteString(s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.WriteString(s)
}

// Write makes it a process's stdout or stderr, read while it runs.
func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startDev runs `drover dev` with one scheduler and one worker and waits
// until it reports the cluster up.
func startDev(t *testing.T) *devCluster {
	t.Helper()
	port, err := zkserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	d := &devCluster{zk: fmt.Sprintf("127.0.0.1:%d", port), root: newRoot(), tmp: t.TempDir(), out: &lockedBuffer{}, exited: make(chan struct{})}
	d.cmd = exec.Command(binary, "--root", d.root, "dev", "--zk-port", fmt.Sprint(port), "--schedulers", "1", "--workers", "1")
	d.cmd.Env = append(os.Environ(), "TMPDIR="+d.tmp)
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout, err := d.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	up := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			d.out.WriteString(line + "\n")
			if f := strings.Fields(line); len(f) > 2 && f[1] == "pid" {
				pid, _ := strconv.Atoi(f[2])
				d.pids = append(d.pids, pid)
			}
			if strings.HasPrefix(line, "Press Ctrl-C") {
				close(up)
			}
		}
		_ = d.cmd.Wait()
		close(d.exited)
	}()
	t.Cleanup(func() {
		_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
		<-d.exited
	})
	select {
	case <-up:
	case <-d.exited:
		t.Fatalf("drover dev exited: %s", d.out)
	case <-time.After(90 * time.Second):
		_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
		<-d.exited
		t.Fatalf("drover dev not up after 90s: %s", d.out)
	}
	return d
}

// stoppedClean checks that dev exited 0 within d, with every process it
// started gone, ZooKeeper's data dir removed and the log dir kept.
func (d *devCluster) stoppedClean(t *testing.T, within time.Duration) {
	t.Helper()
	select {
	case <-d.exited:
	case <-time.After(within):
		_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
		<-d.exited
		t.Fatalf("drover dev still running %v after the signal: %s", within, d.out)
	}
	if code := d.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("drover dev: %v: %s", d.cmd.ProcessState, d.out)
	}
	if len(d.pids) != 3 {
		t.Fatalf("pids %v from %s", d.pids, d.out)
	}
	for _, pid := range d.pids {
		if err := syscall.Kill(pid, 0); err != syscall.ESRCH {
			t.Errorf("pid %d still there (%v)", pid, err)
		}
	}
	zk, _ := filepath.Glob(filepath.Join(d.tmp, "drover-zk-*"))
	logs, _ := filepath.Glob(filepath.Join(d.tmp, "drover-dev-*"))
	if len(zk) != 0 || len(logs) != 1 {
		t.Fatalf("left in TMPDIR: data dirs %v, log dirs %v", zk, logs)
	}
}

// taskPid runs `sh -c script` as a task on d, with $PIDFILE in the
// environment, and returns the pid the script writes there.
func (d *devCluster) taskPid(t *testing.T, script string) int {
	t.Helper()
	pidFile := filepath.Join(d.tmp, fmt.Sprintf("task-%d.pid", time.Now().UnixNano()))
	script = "PIDFILE=" + pidFile + "; " + script
	sub := exec.Command(binary, "--zk", d.zk, "--root", d.root, "submit", "--", "sh", "-c", script)
	if out, err := sub.CombinedOutput(); err != nil {
		t.Fatalf("submit: %v: %s", err, out)
	}
	var pid int
	drovertest.WaitFor(t, 30*time.Second, "the task's pid file", func() bool {
		data, err := os.ReadFile(pidFile)
		pid, _ = strconv.Atoi(strings.TrimSpace(string(data)))
		return err == nil && pid > 0
	})
	return pid
}

// leaveOrphan runs a task on d that starts a process in a session of its
// own, as a daemon does, and runs on; it returns that process's pid once it
// is running. Neither a drain nor the kill of the task's group reaches it.
func (d *devCluster) leaveOrphan(t *testing.T) int {
	t.Helper()
	pid := d.taskPid(t, `setsid sleep 600 </dev/null >/dev/null 2>&1 & echo $! > $PIDFILE.new && mv $PIDFILE.new $PIDFILE; exec sleep 600`)
	t.Cleanup(func() {
		if t.Failed() {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	return pid
}

// gone reports whether process pid has exited and been reaped.
func gone(pid int) bool { return syscall.Kill(pid, 0) == syscall.ESRCH }

// A signal while a command connects ends it at once: a client command with
// 130 and one line, as a shell's interrupted command (it said "cannot reach
// ZooKeeper", exit 1); a daemon with 0, stopped as asked, as once running.
func TestInterruptedWhileConnecting(t *testing.T) {
	// A server that accepts and never answers: the command stays connecting.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	for _, c := range []struct {
		args []string
		sig  os.Signal
		code int
		want string
	}{
		{[]string{"ls"}, os.Interrupt, 130, "interrupted while connecting to ZooKeeper at " + ln.Addr().String()},
		{[]string{"wait", "01J00000000000000000000000"}, syscall.SIGTERM, 130, "interrupted while connecting"},
		{[]string{"scheduler", "--id", "s1"}, syscall.SIGTERM, 0, ""},
		{[]string{"worker", "--id", "w1"}, os.Interrupt, 0, ""},
	} {
		cmd := exec.Command(binary, append([]string{"--zk", ln.Addr().String(), "--session-timeout", "1m"}, c.args...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		select {
		case conn := <-accepted:
			defer conn.Close()
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			t.Fatalf("%v: no connection", c.args)
		}
		if err := cmd.Process.Signal(c.sig); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-done
			t.Fatalf("%v: still running after the signal", c.args)
		}
		r := result{code: cmd.ProcessState.ExitCode(), stderr: stderr.String()}
		if c.code != 0 {
			oneLineError(t, r, c.code, c.want)
		} else if r.code != 0 || strings.Contains(r.stderr, "drover: ") {
			t.Fatalf("%v: exit %d, stderr %q; want 0 and no error", c.args, r.code, r.stderr)
		}
	}
}

// TestDevStopsOnSIGHUP: a closed terminal stops dev like Ctrl-C. The drain
// is followed by the kill of what tasks left running, and while dev runs the
// processes tasks left that exit are reaped, not kept as zombies.
func TestDevStopsOnSIGHUP(t *testing.T) {
	d := startDev(t)
	straggler := d.taskPid(t, `sleep 0.2 </dev/null >/dev/null 2>&1 & echo $! > $PIDFILE.new && mv $PIDFILE.new $PIDFILE`)
	drovertest.WaitFor(t, 30*time.Second, "the task's straggler reaped", func() bool { return gone(straggler) })
	orphan := d.leaveOrphan(t)
	if err := d.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	d.stoppedClean(t, 30*time.Second)
	if !gone(orphan) {
		t.Fatalf("the task's daemon, pid %d, outlived drover dev", orphan)
	}
	if !strings.Contains(d.out.String(), "killed 1 process(es) that tasks left running") {
		t.Fatalf("no word of the daemon killed: %s", d.out)
	}
}

// TestDevSecondSignalKillsAtOnce: a second Ctrl-C skips the workers' drain
// but still removes ZooKeeper's data dir, and kills what tasks left running.
func TestDevSecondSignalKillsAtOnce(t *testing.T) {
	d := startDev(t)
	orphan := d.leaveOrphan(t)
	if err := d.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	// The second signal only once the first has been taken.
	drovertest.WaitFor(t, 15*time.Second, "dev stopping", func() bool { return strings.Contains(d.out.String(), "stopping") })
	if err := d.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	d.stoppedClean(t, 15*time.Second)
	if !strings.Contains(d.out.String(), "second signal") {
		t.Fatalf("no word of the second signal: %s", d.out)
	}
	if !gone(orphan) {
		t.Fatalf("the task's daemon, pid %d, outlived drover dev", orphan)
	}
}

// TestDevStartupFailureLeavesNoDir: dev without ZooKeeper fails with one line
// and leaves nothing in TMPDIR.
func TestDevStartupFailureLeavesNoDir(t *testing.T) {
	port, err := zkserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	r := droverEnv(t, newRoot(), "", []string{"TMPDIR=" + tmp, "PATH=" + t.TempDir()}, "dev", "--zk-port", fmt.Sprint(port))
	oneLineError(t, r, 1, "java not found")
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Fatalf("left in TMPDIR: %v", left)
	}
}

// TestDevStartupFailureNamesTheCause: when ZooKeeper exits during dev's
// start-up (here a DROVER_ZK_CLASSPATH without ZooKeeper; a port lost to a
// second dev racing past the port check; a server that refuses its data),
// the one line ends "last log lines:; logs kept in DIR": the cut to one line
// drops the very lines the error promises, and the cause (the class not
// found, "Address already in use") is only in DIR/zookeeper.log.
func TestDevStartupFailureNamesTheCause(t *testing.T) {
	port, err := zkserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	r := droverEnv(t, newRoot(), "", []string{"TMPDIR=" + tmp, "DROVER_ZK_CLASSPATH=" + filepath.Join(tmp, "no-zookeeper.jar")},
		"dev", "--zk-port", fmt.Sprint(port))
	oneLineError(t, r, 1, "exited during start-up")
	if !strings.Contains(r.stderr, "Could not find or load main class org.apache.zookeeper.server.quorum.QuorumPeerMain") {
		t.Fatalf("the error does not name the cause (QuorumPeerMain not found): %q", r.stderr)
	}
}

// drover dev says when one of its processes ends before Ctrl-C (the tour
// kills the leader); it used to go on silently.
func TestDevSaysWhenAProcessExits(t *testing.T) {
	d := startDev(t)
	if len(d.pids) != 3 {
		t.Fatalf("pids %v, want ZooKeeper's, the scheduler's and the worker's:\n%s", d.pids, d.out)
	}
	worker := d.pids[2]
	if err := syscall.Kill(worker, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("dev-worker-1 (pid %d) exited: signal: killed", worker)
	waitFor(t, 20*time.Second, "dev to report the worker gone", func() bool { return strings.Contains(d.out.String(), want) })
	// ZooKeeper too (it exits when out of heap).
	if err := syscall.Kill(d.pids[0], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "dev to report ZooKeeper gone", func() bool { return strings.Contains(d.out.String(), "ZooKeeper exited; see ") })
}

// TestWhatWorkersAndTasksRun: `workers -o wide` says what each worker
// runs, and `status` names a handler's task by its handler.
func TestWhatWorkersAndTasksRun(t *testing.T) {
	root := newRoot()
	daemon(t, root, "worker", "--id", "w1")
	daemon(t, root, "worker", "--id", "w2", "--allow", "sh", "--allow", "/opt/jobs/*", "--capacity", "4", "--prefetch", "2")
	var r result
	waitFor(t, 20*time.Second, "two workers", func() bool {
		r = drover(t, root, "workers", "-o", "wide")
		return strings.Count(r.stdout, "\n") == 3
	})
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if f := strings.Fields(lines[0]); f[len(f)-2] != "RUNS" || f[len(f)-1] != "STATE" ||
		!strings.HasSuffix(strings.Join(strings.Fields(lines[1]), " "), " commands up") ||
		!strings.HasSuffix(lines[2], "commands allowed by sh /opt/jobs/*  up") ||
		!slices.Contains(strings.Fields(lines[2]), "4+2") || slices.Contains(strings.Fields(lines[1]), "4+0") {
		t.Fatalf("workers -o wide (w2 of capacity 4 with a prefetch of 2):\n%s", r.stdout)
	}
	jsonl := filepath.Join(t.TempDir(), "h.jsonl")
	if err := os.WriteFile(jsonl, []byte(`{"handler":"resize"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	id := strings.TrimSpace(drover(t, root, "submit", "-f", jsonl).stdout)
	if r := drover(t, root, "status", id); !strings.Contains(r.stdout, "handler resize") {
		t.Fatalf("status of a handler's task:\n%s%s", r.stdout, r.stderr)
	}
	// The labels a task waits for are shown, and that no worker has them
	// (none runs the handler either); a task some worker runs waits for
	// nothing but a scheduler (none runs here, which status says).
	const none = "no registered worker has its labels and runs what it runs"
	if r := drover(t, root, "status", id); !strings.Contains(r.stdout, none) {
		t.Fatalf("status of a handler's task no worker runs:\n%s%s", r.stdout, r.stderr)
	}
	id = strings.TrimSpace(drover(t, root, "submit", "--on", "gpu=true", "--", "true").stdout)
	if r := drover(t, root, "status", id); !strings.Contains(r.stdout, "gpu=true") || !strings.Contains(r.stdout, none) {
		t.Fatalf("status of a task with labels:\n%s%s", r.stdout, r.stderr)
	}
	id = strings.TrimSpace(drover(t, root, "submit", "--", "true").stdout)
	if r := drover(t, root, "status", id); strings.Contains(r.stdout, "for a worker") || !strings.Contains(r.stdout, "no scheduler is running") {
		t.Fatalf("status of a task a worker runs, with no scheduler:\n%s%s", r.stdout, r.stderr)
	}
}

// TestKilledWorkersTasksDieWithIt: kill -9 of a worker takes what its
// commands started too, not only the commands (which the kernel kills):
// the worker's guard kills their process groups. Before, a shell task's
// children ran on beside the task's re-run elsewhere. The guard learns of a
// command just after it starts; what the command starts before then, should
// the worker be killed in that moment, runs on (the guard's doc says so), so
// the task starts its child only once the guard has read of it.
func TestKilledWorkersTasksDieWithIt(t *testing.T) {
	root := newRoot()
	daemon(t, root, "scheduler", "--id", "s1")
	w := daemon(t, root, "worker", "--id", "w1")
	dir := t.TempDir()
	shPid, goFile, pidFile := filepath.Join(dir, "sh.pid"), filepath.Join(dir, "go"), filepath.Join(dir, "child.pid")
	var guard int
	waitFor(t, 20*time.Second, "the worker's guard", func() bool { guard = childNamed(w.Process.Pid, "exe"); return guard > 0 })
	// The note is seen in the guard's pipe (its stdin), the guard stopped
	// meanwhile so that it stays there, and then seen read. (The bytes the
	// guard had read, /proc/PID/io rchar, counted the Go runtime's own
	// reads too, of the cgroup's CPU limit each second: 3 bytes a second
	// here, more with a limit set, so that a start slower than 3 s passed
	// for the note though the worker had written none.)
	pipe, err := os.OpenFile(fmt.Sprintf("/proc/%d/fd/0", guard), os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer pipe.Close()
	inPipe := func() int {
		n, err := unix.IoctlGetInt(int(pipe.Fd()), unix.TIOCINQ) // FIONREAD
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if err := syscall.Kill(guard, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(guard, syscall.SIGCONT) })
	drover(t, root, "submit", "--shell", "--",
		"echo $$ > "+shPid+".new && mv "+shPid+".new "+shPid+"; while [ ! -e "+goFile+" ]; do sleep 0.01; done; "+
			"sleep 313 & echo $! > "+pidFile+".new && mv "+pidFile+".new "+pidFile+"; sleep 314")
	var sh int
	waitFor(t, 20*time.Second, "the task's shell", func() bool {
		data, err := os.ReadFile(shPid)
		if err == nil {
			sh, err = strconv.Atoi(strings.TrimSpace(string(data)))
		}
		return err == nil && sh > 0
	})
	note := len(fmt.Sprintf("+%d\n", sh))
	waitFor(t, 20*time.Second, "the worker's note of the shell in the guard's pipe", func() bool { return inPipe() >= note })
	if err := syscall.Kill(guard, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "the guard to read of the shell", func() bool { return inPipe() == 0 })
	if err := os.WriteFile(goFile, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var child int
	waitFor(t, 20*time.Second, "the task's child", func() bool {
		data, err := os.ReadFile(pidFile)
		if err == nil {
			child, err = strconv.Atoi(strings.TrimSpace(string(data)))
		}
		return err == nil && child > 0
	})
	t.Cleanup(func() { _ = syscall.Kill(child, syscall.SIGKILL) })
	if err := syscall.Kill(w.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// Reaped by init once killed: gone, not a zombie of ours.
	waitFor(t, 10*time.Second, "the task's child killed", func() bool { return gone(child) })
}

// childNamed returns the pid of a child of parent whose command name is
// name (0: none): "exe" for the worker's guard, started as /proc/self/exe.
func childNamed(parent int, name string) int {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, not ")".
		i := bytes.LastIndexByte(data, ')')
		j := bytes.IndexByte(data, '(')
		if i < 0 || j < 0 {
			continue
		}
		f := strings.Fields(string(data[i+1:]))
		if len(f) > 1 && string(data[j+1:i]) == name && f[1] == strconv.Itoa(parent) {
			return pid
		}
	}
	return 0
}

// An epoch record that does not decode fails only the epoch: drover leader
// shows the leader with epoch ?, warns in one line on stderr and exits 0,
// and -o json says why in epoch_error (it failed the whole command, exit 1).
func TestLeaderWithAMalformedEpoch(t *testing.T) {
	root := newRoot()
	daemon(t, root, "scheduler", "--id", "s1")
	waitFor(t, 20*time.Second, "s1 leading", func() bool {
		return drover(t, root, "leader").code == 0
	})
	st := openStore(t, root)
	const garbage = "\x00 not a drover record"
	if _, err := st.Set(st.Layout().Epoch(), []byte(garbage), -1); err != nil {
		t.Fatal(err)
	}

	r := drover(t, root, "leader")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	// ROLE ID HOST PID EPOCH VERSION: the release is the binary's own.
	version := strings.TrimPrefix(strings.TrimSpace(drover(t, root, "version").stdout), "drover ")
	if f := strings.Fields(lines[len(lines)-1]); r.code != 0 || len(lines) != 2 || !strings.HasPrefix(lines[1], "leader") || !strings.Contains(lines[1], "s1") ||
		len(f) != 6 || f[4] != "?" || f[5] != version || version == "" {
		t.Fatalf("leader (version %q): %+v", version, r)
	}
	if strings.Count(strings.TrimRight(r.stderr, "\n"), "\n") != 0 || !strings.HasPrefix(r.stderr, "drover: warning: epoch") ||
		!strings.Contains(r.stderr, "malformed") {
		t.Fatalf("leader's warning: want one line naming the problem, got %q", r.stderr)
	}

	r = drover(t, root, "leader", "-o", "json")
	var l struct {
		ID         string `json:"id"`
		Version    string `json:"version"`
		Epoch      int64  `json:"epoch"`
		EpochError string `json:"epoch_error"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &l); r.code != 0 || err != nil || l.ID != "s1" || l.Version != version || !strings.Contains(l.EpochError, "malformed") {
		t.Fatalf("leader -o json: %+v (%v)", r, err)
	}
	// Left for the next leader to move aside: a reader does not write the
	// epoch, whose znode version the next term counts on from.
	if data, _, err := st.Get(st.Layout().Epoch()); err != nil || string(data) != garbage {
		t.Fatalf("epoch record after leader: %q %v", data, err)
	}
}

// workers and schedule ls say how many records they skipped as unreadable,
// in one line on stderr; stdout and the exit code are as without them (the
// records were left out without a word).
func TestListingsSaySkippedRecords(t *testing.T) {
	root := newRoot()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st := openStore(t, root)
	lay := st.Layout()
	reg, err := store.Encode(&store.WorkerInfo{ID: "w1", Host: "h", PID: 42, Capacity: 2, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.CreateEphemeral(ctx, lay.Worker("w1"), reg); err != nil {
		t.Fatal(err)
	}
	if r := drover(t, root, "schedule", "add", "nightly", "--cron", "@daily", "--", "true"); r.code != 0 {
		t.Fatalf("schedule add: %+v", r)
	}
	type views struct{ table, json result }
	read := func(args ...string) views {
		return views{drover(t, root, args...), drover(t, root, append(args, "-o", "json")...)}
	}
	workers, schedules := read("workers"), read("schedule", "ls")
	for _, r := range []result{workers.table, workers.json, schedules.table, schedules.json} {
		if r.code != 0 || r.stderr != "" {
			t.Fatalf("before any bad record: %+v", r)
		}
	}

	// No leader runs to move them aside: they stay, and are skipped.
	for _, p := range []string{lay.Worker("intruder"), lay.Worker("another"), lay.Schedule("junk")} {
		if err := st.Create(p, []byte("\x00 not a drover record")); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		args   []string
		before views
		shown  string
		want   string
	}{
		{[]string{"workers"}, workers, "w1", "skipped 2 unreadable worker registration(s)"},
		{[]string{"schedule", "ls"}, schedules, "nightly", "skipped 1 unreadable schedule record(s)"},
	} {
		after := read(c.args...)
		for i, r := range []result{after.table, after.json} {
			before := []result{c.before.table, c.before.json}[i]
			oneLineError(t, result{code: r.code, stderr: r.stderr}, 0, c.want)
			if !strings.Contains(r.stderr, "(drover deadletter ls)") {
				t.Errorf("%v: %q does not point to deadletter ls", c.args, r.stderr)
			}
			// The same listing (schedule ls's NEXT counts down: compare
			// its lines and what they name).
			if strings.Count(r.stdout, "\n") != strings.Count(before.stdout, "\n") || !strings.Contains(r.stdout, c.shown) ||
				strings.Contains(r.stdout, "intruder") || strings.Contains(r.stdout, "junk") {
				t.Errorf("%v: stdout changed:\n%s\nwas\n%s", c.args, r.stdout, before.stdout)
			}
		}
	}
}

// A --timeout or --starting-deadline above zero but under a millisecond is
// bad input, one line and exit 2 (1ns was kept as 1ms: a run killed at
// once); 0 still means no limit, and 1ms is accepted.
func TestDurationsUnderAMillisecond(t *testing.T) {
	root := newRoot()
	jsonl := filepath.Join(t.TempDir(), "tasks.jsonl")
	if err := os.WriteFile(jsonl, []byte("{\"cmd\":[\"true\"]}\n{\"cmd\":[\"true\"],\"timeout\":\"500us\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"submit", "--timeout", "1ns", "--", "true"}, "timeout 1ns: must be at least 1ms"},
		{[]string{"submit", "--timeout", "999us", "--", "true"}, "timeout 999µs: must be at least 1ms"},
		{[]string{"submit", "-f", jsonl}, "line 2: timeout 500µs: must be at least 1ms"},
		{[]string{"schedule", "add", "s", "--cron", "@daily", "--timeout", "1ns", "--", "true"}, "timeout 1ns: must be at least 1ms"},
		{[]string{"schedule", "add", "s", "--cron", "@daily", "--starting-deadline", "500us", "--", "true"}, "--starting-deadline 500µs: must be at least 1ms"},
	} {
		oneLineError(t, drover(t, root, c.args...), 2, c.want)
	}
	assertNothingWritten(t, root)

	for _, timeout := range []string{"0", "1ms"} {
		r := drover(t, root, "submit", "--timeout", timeout, "--", "true")
		if r.code != 0 {
			t.Fatalf("submit --timeout %s: %+v", timeout, r)
		}
		if r := drover(t, root, "schedule", "add", "s"+strings.TrimSuffix(timeout, "ms"), "--cron", "@daily",
			"--timeout", timeout, "--starting-deadline", timeout, "--", "true"); r.code != 0 {
			t.Fatalf("schedule add --timeout %s --starting-deadline %s: %+v", timeout, timeout, r)
		}
	}
}

// TestTabCompletionIgnoresABadConfig: the scripts `drover completion bash`
// prints call `drover __complete ...` at every TAB, and that hidden command
// is neither "help" nor "completion": isHelpOrCompletion lets it through to
// applyConfigFile, so with a config file drover refuses, TAB completes
// nothing (exit 2, the error on stderr) although the script itself was
// printed. (dcd44b7 says completion ignores the config file.)
func TestTabCompletionIgnoresABadConfig(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("bogus: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, sub := range []string{"__complete", "__completeNoDesc"} {
		r := droverEnv(t, newRoot(), "", []string{"DROVER_CONFIG=" + bad}, sub, "su")
		if r.code != 0 || !strings.Contains(r.stdout, "submit") {
			t.Errorf("drover %s su with a bad config: exit %d, stdout %q, stderr %q", sub, r.code, r.stdout, r.stderr)
		}
	}
}

// A worker's bad --prefetch names the flag, as a bad --capacity does (it
// said "prefetch -1", the worker package's word; review194).
func TestWorkerPrefetchErrorNamesTheFlag(t *testing.T) {
	root := newRoot()
	oneLineError(t, drover(t, root, "worker", "--prefetch", "-1"), 2, "--prefetch -1: want 0 to 9996 (--capacity and --prefetch together at most 10000)")
	oneLineError(t, drover(t, root, "worker", "--capacity", "10", "--prefetch", "9991"), 2, "--prefetch 9991: want 0 to 9990")
}
