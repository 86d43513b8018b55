package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// submit --in and --at hold a task's first attempt back until its time;
// status says when it starts; a time past runs it at once; bad values are
// refused, exit 2; -f lines take "at" and "in".
func TestSubmitDelayedStart(t *testing.T) {
	root := newRoot()
	daemon(t, root, "scheduler", "--id", "s1")
	daemon(t, root, "worker", "--id", "w1")
	status := func(id string) (state string, startedAt, notBefore time.Time) {
		t.Helper()
		r := drover(t, root, "-o", "json", "status", id)
		var got struct {
			State     string    `json:"state"`
			StartedAt time.Time `json:"started_at"`
			NotBefore time.Time `json:"not_before"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &got); r.code != 0 || err != nil {
			t.Fatalf("status %s: %+v (%v)", id, r, err)
		}
		return got.State, got.StartedAt, got.NotBefore
	}
	// A task at once first: the cluster runs.
	if r := drover(t, root, "submit", "--wait", "--", "true"); r.code != 0 {
		t.Fatalf("submit --wait -- true: %+v", r)
	}

	before := time.Now()
	r := drover(t, root, "submit", "--in", "3s", "--", "true")
	if r.code != 0 {
		t.Fatalf("submit --in 3s: %+v", r)
	}
	id := strings.TrimSpace(r.stdout)
	state, _, notBefore := status(id)
	if state != "queued" || notBefore.Before(before.Add(3*time.Second)) || notBefore.After(time.Now().Add(3*time.Second)) {
		t.Fatalf("after submit --in 3s: state %s, not_before %v (submitted at %v); want queued, 3s on", state, notBefore, before)
	}
	if r := drover(t, root, "status", id); !strings.Contains(r.stdout, "starts") {
		t.Errorf("status of a delayed task says nothing of its start:\n%s", r.stdout)
	}
	if r := drover(t, root, "wait", "--timeout", "30s", id); r.code != 0 {
		t.Fatalf("wait for the delayed task: %+v", r)
	}
	if _, started, _ := status(id); started.Before(notBefore) {
		t.Errorf("the task submitted --in 3s started at %v, before its time %v", started, notBefore)
	}

	// A time past: at once.
	r = drover(t, root, "submit", "--wait", "--wait-timeout", "20s", "--at", time.Now().Add(-time.Hour).Format(time.RFC3339), "--", "true")
	if r.code != 0 {
		t.Fatalf("submit --wait --at an hour ago: %+v; want it run at once", r)
	}

	// -f lines.
	at := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	file := filepath.Join(t.TempDir(), "b.jsonl")
	if err := os.WriteFile(file, []byte(`{"cmd":["true"],"at":"`+at+`"}`+"\n"+`{"cmd":["true"],"in":"2h"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = drover(t, root, "submit", "-f", file)
	ids := strings.Fields(r.stdout)
	if r.code != 0 || len(ids) != 2 {
		t.Fatalf("submit -f with at and in: %+v", r)
	}
	if _, _, nb := status(ids[0]); nb.Format(time.RFC3339) != at {
		t.Errorf("line with \"at\": %q: not_before %v", at, nb)
	}
	if _, _, nb := status(ids[1]); nb.Before(time.Now().Add(time.Hour + 59*time.Minute)) {
		t.Errorf("line with \"in\": \"2h\": not_before %v", nb)
	}
	// ls says when they start, not only "queued".
	if r := drover(t, root, "ls", "--state", "queued"); strings.Count(r.stdout, "queued (starts in ") != 2 {
		t.Errorf("ls of two delayed tasks does not say when they start:\n%s", r.stdout)
	}
	if r := drover(t, root, "cancel", ids[0], ids[1]); r.code != 0 {
		t.Fatalf("cancel of the delayed tasks: %+v", r)
	}

	for _, bad := range [][]string{
		{"--at", "tomorrow"},
		{"--at", ""},
		{"--in", "-1s"},
		{"--in", "9000h"},
		{"--at", time.Now().Add(400 * 24 * time.Hour).Format(time.RFC3339)},
		{"--in", "1h", "--at", time.Now().Add(time.Hour).Format(time.RFC3339)},
		{"--in", "0s", "--at", time.Now().Add(time.Hour).Format(time.RFC3339)},
	} {
		if r := drover(t, root, append(append([]string{"submit"}, bad...), "--", "true")...); r.code != 2 || strings.Count(strings.TrimSpace(r.stderr), "\n") > 0 {
			t.Errorf("submit %q: %+v; want exit 2, one line", bad, r)
		}
	}
	if r := drover(t, root, "submit", "-f", file, "--in", "1h"); r.code != 2 || !strings.Contains(r.stderr, `"in"`) {
		t.Errorf("submit -f --in: %+v; want exit 2 naming the line's \"in\"", r)
	}
}

// submit --starting-deadline (a JSONL line's "starting_deadline") cancels a
// task whose first attempt has not started that long after its start;
// status names the deadline while it waits; a task that starts in time
// runs as any; bad values are refused, exit 2.
func TestSubmitStartingDeadline(t *testing.T) {
	root := newRoot()
	daemon(t, root, "scheduler", "--id", "s1")
	daemon(t, root, "worker", "--id", "w1")
	// No worker has the label: it cannot start.
	r := drover(t, root, "submit", "--on", "gpu=true", "--starting-deadline", "3s", "--", "true")
	if r.code != 0 {
		t.Fatalf("submit --starting-deadline: %+v", r)
	}
	stuck := strings.TrimSpace(r.stdout)
	if r := drover(t, root, "status", stuck); !strings.Contains(r.stdout, "start by") {
		t.Errorf("status of a task under a starting deadline does not say it:\n%s", r.stdout)
	}
	// One that can start does, and succeeds: the deadline is only a bound.
	if r := drover(t, root, "submit", "--wait", "--wait-timeout", "20s", "--starting-deadline", "1m", "--", "true"); r.code != 0 {
		t.Fatalf("submit --wait --starting-deadline 1m -- true: %+v", r)
	}
	file := filepath.Join(t.TempDir(), "d.jsonl")
	if err := os.WriteFile(file, []byte(`{"cmd":["true"],"on":{"gpu":"true"},"in":"1s","starting_deadline":"2s"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = drover(t, root, "submit", "-f", file)
	if r.code != 0 {
		t.Fatalf("submit -f with starting_deadline: %+v", r)
	}
	line := strings.TrimSpace(r.stdout)
	for _, id := range []string{stuck, line} {
		r := drover(t, root, "wait", "--timeout", "30s", id)
		if s := drover(t, root, "status", id); r.code == 0 || !strings.Contains(s.stdout, "cancelled") || !strings.Contains(s.stdout, "not started by its starting deadline") {
			t.Errorf("task %s past its starting deadline: wait %+v, status:\n%s", id, r, s.stdout)
		}
	}
	for _, bad := range [][]string{
		{"--starting-deadline", "-1s"},
		{"--starting-deadline", "1ns"},
		{"--starting-deadline", "9000h"},
	} {
		if r := drover(t, root, append(append([]string{"submit"}, bad...), "--", "true")...); r.code != 2 || strings.Count(strings.TrimSpace(r.stderr), "\n") > 0 {
			t.Errorf("submit %q: %+v; want exit 2, one line", bad, r)
		}
	}
	if r := drover(t, root, "submit", "-f", file, "--starting-deadline", "1h"); r.code != 2 || !strings.Contains(r.stderr, `"starting_deadline"`) {
		t.Errorf("submit -f --starting-deadline: %+v; want exit 2 naming the line's \"starting_deadline\"", r)
	}
}

// submit --no-retry-exit (a line's "no_retry_exit"): a command that exits
// with a listed code ends the task at that attempt, whatever its retries;
// status says which codes; bad codes are refused, exit 2.
func TestSubmitNoRetryExit(t *testing.T) {
	root := newRoot()
	daemon(t, root, "scheduler", "--id", "s1")
	daemon(t, root, "worker", "--id", "w1")
	r := drover(t, root, "submit", "--wait", "--wait-timeout", "30s", "--retries", "5", "--no-retry-exit", "2,64", "--", "sh", "-c", "exit 2")
	if r.code != 2 {
		t.Fatalf("submit --wait --no-retry-exit 2,64 -- sh -c 'exit 2': %+v; want exit 2 at once", r)
	}
	file := filepath.Join(t.TempDir(), "n.jsonl")
	if err := os.WriteFile(file, []byte(`{"cmd":["sh","-c","exit 64"],"retries":3,"no_retry_exit":[64]}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = drover(t, root, "submit", "-f", file)
	if r.code != 0 {
		t.Fatalf("submit -f with no_retry_exit: %+v", r)
	}
	line := strings.TrimSpace(r.stdout)
	if r := drover(t, root, "wait", "--timeout", "30s", line); r.code != 64 {
		t.Fatalf("wait for the line's task: %+v; want exit 64", r)
	}
	var got struct {
		State       string `json:"state"`
		Attempts    int    `json:"attempts"`
		NoRetryExit []int  `json:"no_retry_exit"`
	}
	r = drover(t, root, "-o", "json", "status", line)
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || got.State != "failed" || got.Attempts != 1 || len(got.NoRetryExit) != 1 {
		t.Fatalf("status of the line's task: %+v (%v); want failed after one attempt, no_retry_exit [64]", got, err)
	}
	if r := drover(t, root, "status", line); !strings.Contains(r.stdout, "no retry on exit") {
		t.Errorf("status does not show the codes:\n%s", r.stdout)
	}
	for _, bad := range [][]string{
		{"--no-retry-exit", "0", "--", "true"},
		{"--no-retry-exit", "256", "--", "true"},
		{"--no-retry-exit", "two", "--", "true"},
		{"--no-retry-exit", "2", "--handler", "upper"},
		{"--backoff", "1ns", "--", "true"},
		{"--backoff", "25h", "--", "true"},
		{"--backoff", "-1s", "--", "true"},
	} {
		if r := drover(t, root, append([]string{"submit"}, bad...)...); r.code != 2 || strings.Count(strings.TrimSpace(r.stderr), "\n") > 0 {
			t.Errorf("submit %q: %+v; want exit 2, one line", bad, r)
		}
	}
}

// A config file's submit section gives at or in as defaults: the other one
// given on the command line replaces it, as the flag of the same name does
// (review215: --in 0s was ignored for the file's at, --in 5m refused).
func TestSubmitStartFlagReplacesConfigDefault(t *testing.T) {
	root := newRoot()
	dir := t.TempDir()
	fileAt := time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)
	withAt, withIn := filepath.Join(dir, "at.yaml"), filepath.Join(dir, "in.yaml")
	if err := os.WriteFile(withAt, []byte("submit:\n  at: "+fileAt+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(withIn, []byte("submit:\n  in: 30h\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	notBefore := func(args ...string) time.Time {
		t.Helper()
		r := drover(t, root, append([]string{"submit"}, append(args, "--", "true")...)...)
		if r.code != 0 {
			t.Fatalf("submit %q: %+v", args, r)
		}
		var got struct {
			NotBefore time.Time `json:"not_before"`
		}
		s := drover(t, root, "-o", "json", "status", strings.TrimSpace(r.stdout))
		if err := json.Unmarshal([]byte(s.stdout), &got); err != nil {
			t.Fatalf("status: %+v (%v)", s, err)
		}
		return got.NotBefore
	}
	if nb := notBefore("--config", withAt); nb.Format(time.RFC3339) != fileAt {
		t.Errorf("the file's at alone: not_before %v, want %s", nb, fileAt)
	}
	if nb := notBefore("--config", withAt, "--in", "5m"); nb.After(time.Now().Add(6 * time.Minute)) {
		t.Errorf("--in 5m over the file's at: not_before %v, want about 5m from now", nb)
	}
	if nb := notBefore("--config", withAt, "--in", "0s"); !nb.IsZero() {
		t.Errorf("--in 0s over the file's at: not_before %v, want none (at once)", nb)
	}
	flagAt := time.Now().Add(72 * time.Hour).UTC().Format(time.RFC3339)
	if nb := notBefore("--config", withIn, "--at", flagAt); nb.Format(time.RFC3339) != flagAt {
		t.Errorf("--at over the file's in: not_before %v, want %s", nb, flagAt)
	}
}
