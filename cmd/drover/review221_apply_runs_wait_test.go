package main

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// README (CLI reference): schedule apply adds or updates each schedule "as
// `add --update` does", and `schedule add` "says so on stderr when no
// registered worker would take its runs (the schedule is added: a worker may
// yet come)" (Troubleshooting). add and add --update say it
// (noteRunsWait); apply says nothing: a newcomer who applies
// configs/schedules.yaml on `make dev` (its nightly-report wants the label
// zone=eu, its thumbnails a handler no dev worker has) gets "added" for
// each and runs that wait for ever, in silence, the label typo
// noteRunsWait was added to catch. Expected: apply says it for each
// schedule whose runs no registered worker would take, as add does.
// (review221)
func TestApplySaysRunsWaitAsAddDoes(t *testing.T) {
	root := newRoot()
	openStore(t, root) // a cluster, no worker registered
	add := drover(t, root, "schedule", "add", "r221-add", "--cron", "@daily", "--on", "zone=eu", "--", "true")
	if add.code != 0 || !strings.Contains(add.stderr, "drover: schedule r221-add's runs will wait for a worker") {
		t.Fatalf("schedule add with no worker: %+v; want exit 0 and stderr saying its runs will wait", add)
	}
	apply := droverIn(t, root, "r221-apply:\n  cron: \"@daily\"\n  on: {zone: eu}\n  cmd: [\"true\"]\n", "schedule", "apply", "-f", "-")
	if apply.code != 0 || apply.stdout != "added r221-apply\n" {
		t.Fatalf("schedule apply: %+v; want exit 0, added r221-apply", apply)
	}
	if !strings.Contains(apply.stderr, "drover: schedule r221-apply's runs will wait for a worker") {
		t.Errorf("schedule apply of a schedule no registered worker would run: stderr %q; want, as schedule add says (%q), a line that its runs will wait",
			apply.stderr, strings.TrimSpace(add.stderr))
	}
}

// Of many schedules whose runs would wait, apply names the first 20 and
// counts the rest in one line; a dry run says they would wait; with -o
// json it says nothing on stderr, as schedule add.
func TestApplyRunsWaitNamesTwentyThenCounts(t *testing.T) {
	root := newRoot()
	openStore(t, root) // a cluster, no worker registered
	var b strings.Builder
	for i := range 25 {
		fmt.Fprintf(&b, "w%02d:\n  cron: \"@daily\"\n  cmd: [\"true\"]\n", i)
	}
	dry := droverIn(t, root, b.String(), "schedule", "apply", "--dry-run", "-f", "-")
	lines := strings.Split(strings.TrimSuffix(dry.stderr, "\n"), "\n")
	if dry.code != 0 || len(lines) != 21 || lines[0] != "drover: schedule w00's runs would wait for a worker: none is registered" ||
		lines[20] != "drover: and 5 more schedules' runs would wait for a worker" {
		t.Fatalf("apply --dry-run of 25 schedules no worker runs: %+v; want 20 named, then 5 counted, as would", dry)
	}
	if r := droverIn(t, root, b.String(), "-o", "json", "schedule", "apply", "-f", "-"); r.code != 0 || r.stderr != "" {
		t.Fatalf("apply -o json: %+v; want nothing on stderr, as schedule add -o json", r)
	}
}

// With workers registered but none with its labels, the note names the
// labels the runs want: a typo (zone=ue) shows beside drover workers'.
func TestRunsWaitNamesTheLabelsWanted(t *testing.T) {
	root := newRoot()
	daemon(t, root, "worker", "--id", "w1", "--label", "zone=us")
	waitFor(t, 20*time.Second, "w1 registered", func() bool {
		return strings.Contains(drover(t, root, "workers").stdout, "w1")
	})
	add := drover(t, root, "schedule", "add", "eu-only", "--cron", "@daily", "--on", "zone=eu", "--", "true")
	if add.code != 0 || !strings.Contains(add.stderr, "no registered worker has its labels and runs what it runs (it wants zone=eu;") {
		t.Fatalf("schedule add of runs no worker has the labels of: %+v; want the note to name zone=eu", add)
	}
}
