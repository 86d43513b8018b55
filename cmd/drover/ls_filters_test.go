package main

import (
	"strings"
	"testing"
	"time"
)

// TestLsFiltersAndPages: ls filters by name (a glob), worker and schedule,
// and pages on with --before the last id shown, as its "more match" line
// says; a bad value of each is one line, exit 2.
func TestLsFiltersAndPages(t *testing.T) {
	root := newRoot()
	var ids []string
	for _, name := range []string{"build-1", "build-2", "deploy", "build-3"} {
		r := drover(t, root, "submit", "--name", name, "--", "true") // no scheduler: they stay queued
		if r.code != 0 {
			t.Fatalf("submit: %+v", r)
		}
		ids = append(ids, strings.TrimSpace(r.stdout))
	}
	lsIDs := func(args ...string) (got []string, stderr string) {
		t.Helper()
		r := drover(t, root, append([]string{"ls"}, args...)...)
		if r.code != 0 {
			t.Fatalf("ls %v: %+v", args, r)
		}
		for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n")[1:] {
			got = append(got, strings.Fields(l)[0])
		}
		return got, r.stderr
	}
	if got, _ := lsIDs("--name", "build-*"); strings.Join(got, " ") != strings.Join([]string{ids[3], ids[1], ids[0]}, " ") {
		t.Errorf("ls --name build-*: %v", got)
	}
	page, more := lsIDs("--name", "build-*", "--limit", "2")
	if len(page) != 2 || !strings.Contains(more, "--before "+page[1]) {
		t.Fatalf("ls --limit 2 of 3: %v, %q: want the next page's --before named", page, more)
	}
	if got, _ := lsIDs("--name", "build-*", "--limit", "2", "--before", strings.ToLower(page[1])); len(got) != 1 || got[0] != ids[0] {
		t.Errorf("the next page: %v, want %s", got, ids[0])
	}
	if got, _ := lsIDs("--worker", "w9"); len(got) != 0 {
		t.Errorf("ls --worker of no task's worker: %v", got)
	}
	if got, _ := lsIDs("--schedule", "nightly"); len(got) != 0 {
		t.Errorf("ls --schedule of no schedule's runs: %v", got)
	}
	for _, c := range []struct{ flag, value, want string }{
		{"--name", "[", "--name"}, {"--before", "nope", `--before: task id "nope": want a 26-character ULID`},
		{"--worker", "", "--worker"}, {"--schedule", "a/b", "--schedule"},
	} {
		oneLineError(t, drover(t, root, "ls", c.flag, c.value), 2, c.want)
	}
}

// TestLsByWorkerAndSchedule: --worker keeps the tasks a worker ran, and
// --schedule a schedule's runs.
func TestLsByWorkerAndSchedule(t *testing.T) {
	root := newRoot()
	daemon(t, root, "scheduler", "--id", "s1")
	daemon(t, root, "worker", "--id", "w1")
	r := drover(t, root, "submit", "--wait", "--name", "plain", "--", "true")
	if r.code != 0 {
		t.Fatalf("submit: %+v", r)
	}
	if r := drover(t, root, "schedule", "add", "tick", "--cron", "@every 1s", "--", "true"); r.code != 0 {
		t.Fatalf("schedule add: %+v", r)
	}
	waitFor(t, 20*time.Second, "a run of tick listed by --schedule", func() bool {
		r := drover(t, root, "ls", "--schedule", "tick")
		return r.code == 0 && strings.Count(r.stdout, "\n") >= 2 && !strings.Contains(r.stdout, "plain")
	})
	r = drover(t, root, "ls", "--worker", "w1", "--state", "succeeded", "--name", "plain")
	if r.code != 0 || strings.Count(r.stdout, "\n") != 2 || !strings.Contains(r.stdout, "plain") {
		t.Errorf("ls --worker w1 --name plain: %+v", r)
	}
}
