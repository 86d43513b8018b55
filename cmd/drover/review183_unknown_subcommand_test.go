package main

import (
	"strings"
	"testing"
)

// A mistyped subcommand of a group says the group "takes no arguments":
// `drover schedule delete nightly` prints `drover: schedule takes no
// arguments, got "delete"`, though schedule takes a subcommand, and names
// none of them; `drover schedule` alone says "want one of add, get, ...",
// and a mistyped top-level command says `unknown command "bogus"`.
// Expected: the unknown word is called an unknown command and the
// group's subcommands are named (exit 2, one line), as for `drover
// schedule` alone. (review183)
func TestGroupUnknownSubcommandSaysSo(t *testing.T) {
	root := newRoot()
	for _, args := range [][]string{
		{"schedule", "delete", "nightly"},
		{"schedule", "lst"},
		{"deadletter", "list"},
		{"config", "show"},
	} {
		r := drover(t, root, args...)
		if r.code != 2 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
			t.Errorf("drover %s: exit %d, stderr %q; want exit 2 and one line", strings.Join(args, " "), r.code, r.stderr)
			continue
		}
		if strings.Contains(r.stderr, "takes no arguments") || !strings.Contains(r.stderr, "unknown command") {
			t.Errorf("drover %s: %q; want it called an unknown command, and the group's commands named",
				strings.Join(args, " "), strings.TrimSpace(r.stderr))
		}
	}
}

// A mistyped top-level command says only `unknown command "sbumit"` (the
// groups name their commands; the top level has seventeen): it now says
// what it comes near, or where the commands are listed.
func TestTopLevelUnknownCommandSaysWhatItMeant(t *testing.T) {
	for _, c := range []struct{ word, want string }{
		{"sbumit", `did you mean submit?`},
		{"schedul", `did you mean schedule or scheduler?`},
		{"frobnicate", `drover --help lists the commands`},
	} {
		r := drover(t, newRoot(), c.word)
		if r.code != 2 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || !strings.Contains(r.stderr, `unknown command "`+c.word+`"`) ||
			!strings.Contains(r.stderr, c.want) {
			t.Errorf("drover %s: exit %d, stderr %q; want exit 2, one line naming it an unknown command and saying %q", c.word, r.code, r.stderr, c.want)
		}
	}
}
