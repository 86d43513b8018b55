package main

import "testing"

// README: schedule apply --dry-run "says what would change ... and writes
// nothing". At a root where no cluster is (a mistyped --root), it makes
// the whole cluster's tree there (queue, tasks, results, schedules, ...)
// before it says "would add": it connects with withClient, which creates,
// where the commands that only read use withReader (TestNoClusterAtRoot).
// Afterwards the root reads as a cluster to every command. (review220)
func TestApplyDryRunCreatesNothing(t *testing.T) {
	root := newRoot()
	r := droverIn(t, root, "nightly:\n  cron: \"@daily\"\n  cmd: [\"true\"]\n", "schedule", "apply", "--dry-run", "-f", "-")
	t.Logf("schedule apply --dry-run at a root with no cluster: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	if r := drover(t, root, "workers"); r.code != 1 {
		t.Fatalf("after schedule apply --dry-run, --root %s holds a cluster (workers: exit %d, stdout %q, stderr %q): the dry run wrote its tree; want nothing written, workers saying no Drover cluster, exit 1",
			root, r.code, r.stdout, r.stderr)
	}
	oneLineError(t, drover(t, root, "workers"), 1, "no Drover cluster at "+root)
}
