package main

import (
	"slices"
	"strings"
	"testing"
)

// ls's filters are plain string flags, so given twice the last wins:
// `drover ls --state failed --state dead`, the failing work README's
// Monitoring names, lists the dead tasks alone, exit 0, without a word,
// and `--name a --name b` the tasks named b. Each filter given twice must
// be bad usage (exit 2, one line) or list the tasks of either value; as
// submit's -f and --key (review174). (review204)
func TestLsFilterGivenTwice(t *testing.T) {
	root := newRoot()
	var ids []string
	for _, name := range []string{"a", "b"} {
		r := drover(t, root, "submit", "--name", name, "--", "true") // no scheduler: they stay queued
		if r.code != 0 {
			t.Fatalf("submit: %+v", r)
		}
		ids = append(ids, strings.TrimSpace(r.stdout))
	}
	if r := drover(t, root, "cancel", ids[1]); r.code != 0 { // b: cancelled, a: queued
		t.Fatalf("cancel: %+v", r)
	}
	for _, args := range [][]string{
		{"--state", "queued", "--state", "cancelled"},
		{"--name", "a", "--name", "b"},
		{"--before", "7ZZZZZZZZZZZZZZZZZZZZZZZZZ", "--before", ids[1]},
	} {
		r := drover(t, root, append([]string{"ls", "-o", "json"}, args...)...)
		if r.code == 2 {
			oneLineError(t, r, 2, args[0])
			continue
		}
		var got []string
		for _, f := range strings.Split(r.stdout, "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(f), `"id": "`); ok {
				got = append(got, strings.TrimSuffix(v, `",`))
			}
		}
		slices.Sort(got)
		if want := slices.Sorted(slices.Values(ids)); r.code != 0 || !slices.Equal(got, want) {
			t.Errorf("ls %s: exit %d, tasks %v, stderr %q: want both tasks %v listed, or exit 2", strings.Join(args, " "), r.code, got, r.stderr, want)
		}
	}
}
