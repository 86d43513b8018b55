package main

import "testing"

// schedule add --tz "" (--tz "$ZONE" with the variable unset) is accepted
// and the schedule fires in UTC, though an empty TZ= prefix in the spec is
// refused (exit 2, `time zone "": no IANA name`) and an empty --priority,
// --catchup or --concurrency on the command line is refused since the
// release README's Upgrading describes, for this very mistake (a variable
// unset). A nightly job meant for Europe/Berlin then runs an hour off, in
// silence. It should be refused, one line, exit 2, nothing written (an
// empty value in a config file may still mean the default). (review120)
func TestScheduleAddEmptyTZIsBadInput(t *testing.T) {
	root := newRoot()
	if r := drover(t, root, "submit", "--", "true"); r.code != 0 { // make the cluster
		t.Fatalf("first submit: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := drover(t, root, "schedule", "add", "s", "--cron", "TZ= 0 2 * * *", "--", "true"); r.code != 2 {
		t.Fatalf("empty TZ= prefix: exit %d, want 2 (stderr %q)", r.code, r.stderr)
	}
	r := drover(t, root, "schedule", "add", "s", "--cron", "0 2 * * *", "--tz", "", "--", "true")
	if r.code == 0 {
		g := drover(t, root, "schedule", "get", "s")
		t.Fatalf("--tz \"\" accepted (exit 0, %q): the schedule fires in UTC:\n%s", r.stdout, g.stdout)
	}
	oneLineError(t, r, 2, "tz")
}
