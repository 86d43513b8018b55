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

// ls --state takes several states joined by commas: a task in any of them
// is listed (the other filters still all apply); an unknown one among them
// is bad usage, exit 2.
func TestLsSeveralStates(t *testing.T) {
	root := newRoot()
	var ids []string
	for _, name := range []string{"a", "b", "c"} {
		r := drover(t, root, "submit", "--name", name, "--", "true") // no scheduler: they stay queued
		if r.code != 0 {
			t.Fatalf("submit: %+v", r)
		}
		ids = append(ids, strings.TrimSpace(r.stdout))
	}
	if r := drover(t, root, "cancel", ids[1]); r.code != 0 { // b: cancelled, a and c: queued
		t.Fatalf("cancel: %+v", r)
	}
	listed := func(args ...string) []string {
		t.Helper()
		r := drover(t, root, append([]string{"ls", "-o", "json"}, args...)...)
		if r.code != 0 {
			t.Fatalf("ls %s: %+v", strings.Join(args, " "), r)
		}
		var got []string
		for _, f := range strings.Split(r.stdout, "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(f), `"id": "`); ok {
				got = append(got, strings.TrimSuffix(v, `",`))
			}
		}
		slices.Sort(got)
		return got
	}
	if got, want := listed("--state", "queued,cancelled"), slices.Sorted(slices.Values(ids)); !slices.Equal(got, want) {
		t.Errorf("ls --state queued,cancelled: %v, want every task %v", got, want)
	}
	if got := listed("--state", "cancelled,dead,cancelled"); !slices.Equal(got, ids[1:2]) {
		t.Errorf("ls --state cancelled,dead,cancelled: %v, want b alone %v", got, ids[1:2])
	}
	if got := listed("--state", "cancelled,queued", "--name", "[ab]"); !slices.Equal(got, ids[:2]) {
		t.Errorf("ls --state cancelled,queued --name [ab]: %v, want a and b %v", got, ids[:2])
	}
	if got := listed("--state", "succeeded,failed"); len(got) != 0 {
		t.Errorf("ls --state succeeded,failed: %v, want none", got)
	}
	for _, bad := range []string{"queued,bogus", "queued,", ",queued"} {
		r := drover(t, root, "ls", "--state", bad)
		oneLineError(t, r, 2, "--state")
	}
}
