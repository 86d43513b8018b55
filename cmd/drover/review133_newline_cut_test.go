package main

import (
	"strings"
	"testing"
)

// A newline in a file name, a schedule name or a cron spec the user gave
// cuts the one-line error there (oneLine keeps what comes before the first
// newline), and what is left names no cause or a wrong one: `submit -f
// $'no\nsuch'` says "drover: submit: open no", `schedule add $'a\nb'` says
// "drover: schedule add a", and `--cron $'@daily\nx'` says "unrecognized
// descriptor: @daily", as if @daily were refused. Names, ids, labels, --zk
// and durations are quoted (%q) in their messages and say all of it.
func TestReview133NewlineInInputCutsTheCause(t *testing.T) {
	root := newRoot()
	for _, tc := range []struct {
		args []string
		want string // the cause the line must name
	}{
		{[]string{"submit", "-f", "no\nsuch"}, "no such file"},
		{[]string{"wait", "-f", "no\nsuch"}, "no such file"},
		{[]string{"--config", "no\nsuch", "ls"}, "no such file"},
		{[]string{"--zk-auth-file", "no\nsuch", "ls"}, "no such file"},
		{[]string{"schedule", "add", "a\nb", "--cron", "@daily", "--", "true"}, "invalid name"},
		{[]string{"schedule", "add", "x", "--cron", "@daily\nx", "--", "true"}, `\n`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := drover(t, root, tc.args...)
			if r.code != 2 {
				t.Fatalf("exit %d, want 2; stderr %q", r.code, r.stderr)
			}
			if !strings.Contains(r.stderr, tc.want) {
				t.Fatalf("the one line does not say why (%q): %q", tc.want, r.stderr)
			}
		})
	}
	assertNothingWritten(t, root)
}
