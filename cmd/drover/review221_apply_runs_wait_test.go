package main

import (
	"strings"
	"testing"
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
