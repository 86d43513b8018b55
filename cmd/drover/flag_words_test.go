package main

import (
	"strings"
	"testing"
)

// A task given by flags is refused in the flags' words: "--no-retry-exit
// 0: want exit codes 1..255", not the record's field name the user never
// wrote ("no_retry_exit 0"), and an --after id as typed ("x", not "X");
// schedule apply's settings in its keys' words. A JSONL line keeps its
// fields' names (TestReview184ConfigFileBlamedForAJSONLLine and others).
func TestFlagErrorsNameTheFlag(t *testing.T) {
	root := newRoot()
	for _, tc := range []struct {
		args      []string
		want, not string
	}{
		{[]string{"submit", "--no-retry-exit", "0", "--", "true"}, "submit: --no-retry-exit 0: want exit codes 1..255", "no_retry_exit"},
		{[]string{"submit", "--in", "-1s", "--", "true"}, "submit: --in -1s: must not be negative", ""},
		{[]string{"submit", "--after", "x", "--", "true"}, `submit: --after: task id "x": want a 26-character ULID`, "invalid name"},
		{[]string{"submit", "--after-key", "", "--", "true"}, `submit: --after-key "": empty`, "after_key"},
		{[]string{"submit", "--key", "k", "--after-key", "k", "--", "true"}, `submit: --after-key "k": the task's own key`, "after_key"},
		{[]string{"submit", "--timeout", "1ns", "--", "true"}, "submit: --timeout 1ns: must be at least 1ms", ""},
		{[]string{"submit", "--retries", "-1", "--", "true"}, "submit: --retries -1: want 0..1000", ""},
		{[]string{"submit", "--backoff", "-1s", "--", "true"}, "submit: --backoff -1s: want 1ms to", ""},
		{[]string{"submit", "--starting-deadline", "-1s", "--", "true"}, "submit: --starting-deadline -1s: want at least 1ms", "starting_deadline"},
		{[]string{"submit", "--name", "a/b", "--", "true"}, `submit: --name "a/b": must not contain '/'`, "invalid name"},
		{[]string{"submit", "--key", "a\tb", "--", "true"}, `submit: --key "a\tb": want printable UTF-8`, ""},
		{[]string{"submit", "--at", "2026-12-07T00:00:00Z", "--in", "1s", "--", "true"}, "submit: give --at or --in, not both", ""},
		{[]string{"schedule", "add", "s", "--cron", "@daily", "--starting-deadline", "-1s", "--", "true"}, "schedule add s: --starting-deadline -1s: must not be negative", "starting deadline"},
		{[]string{"schedule", "add", "s", "--cron", "@daily", "--no-retry-exit", "300", "--", "true"}, "schedule add s: --no-retry-exit 300: want exit codes 1..255", "no_retry_exit"},
	} {
		r := drover(t, root, tc.args...)
		oneLineError(t, r, 2, tc.want)
		if tc.not != "" && strings.Contains(r.stderr, tc.not) {
			t.Errorf("%q: %q names %q", tc.args, r.stderr, tc.not)
		}
	}
}

// A list flag given once at most (onlyOnce) shows no "(default [])" in
// help, as pflag shows no default for any other empty list.
func TestHelpShowsNoEmptyListDefault(t *testing.T) {
	for _, c := range []string{"status", "logs", "wait", "cancel", "retry", "submit", "schedule add"} {
		r := drover(t, newRoot(), append(strings.Fields(c), "--help")...)
		if r.code != 0 || strings.Contains(r.stdout, "(default [])") {
			t.Errorf("%s --help: exit %d, shows an empty list's default:\n%s", c, r.code, r.stdout)
		}
	}
}

// drover worker cordon ID (one letter short of drover workers cordon) says
// which was meant.
func TestWorkerCordonSuggestsWorkers(t *testing.T) {
	oneLineError(t, drover(t, newRoot(), "worker", "cordon", "w1"), 2, `worker takes no arguments, got "cordon": did you mean drover workers cordon?`)
}

// Both payload flags: refused, led by the command as the others are.
func TestPayloadFlagsBothNameTheCommand(t *testing.T) {
	oneLineError(t, drover(t, newRoot(), "submit", "--handler", "h", "--payload", "a", "--payload-file", "b"), 2,
		"drover: submit: --payload and --payload-file: give one, not both")
}
