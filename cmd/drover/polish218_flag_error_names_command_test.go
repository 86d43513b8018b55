package main

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// A flag that does not parse (unknown, a bad value for a typed flag, no
// argument after one that takes it) said only `drover: unknown flag:
// --bogus`, where every other usage error names its command (`drover:
// submit: ...`): cobra's flag errors went through the root's
// SetFlagErrorFunc, which dropped the command it was given. Expected:
// `drover: <command path>: <error>`, exit 2, one line, for every
// command; the root's own flags name no command (not `drover: drover:`).
// (polish218)
func TestFlagErrorNamesTheCommand(t *testing.T) {
	root := newRoot()
	tree, _ := newRootCmd()
	var paths []string
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.HasParent() && !c.DisableFlagParsing {
			paths = append(paths, cmdName(c))
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(tree)
	if len(paths) < 30 {
		t.Fatalf("found %d commands: %q; want the whole tree", len(paths), paths)
	}
	for _, p := range paths {
		args := append(strings.Fields(p), "--bogus-polish218")
		wantLine(t, drover(t, root, args...), args, "drover: "+p+": unknown flag: --bogus-polish218\n")
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"submit", "--retries", "x", "--", "true"}, `drover: submit: --retries "x": want a whole number`},
		{[]string{"schedule", "add", "--retries", "1.5"}, `drover: schedule add: --retries "1.5": want a whole number`},
		{[]string{"submit", "--timeout", "5x", "--", "true"}, `drover: submit: --timeout "5x": want a duration such as 90s, 5m or 1h30m`},
		{[]string{"submit", "--shell=yes", "--", "true"}, `drover: submit: --shell "yes": want true or false`},
		{[]string{"ls", "--state", "sleeping"}, `drover: ls: invalid argument "sleeping" for "--state" flag: want queued, assigned, running, succeeded, failed, cancelled or dead, got "sleeping"`},
		{[]string{"ls", "--scan"}, `drover: ls: flag needs an argument: --scan`},
		{[]string{"submit", "-f"}, `drover: submit: flag needs an argument: 'f' in -f`},
		{[]string{"workers", "-x"}, `drover: workers: unknown shorthand flag: 'x' in -x`},
		{[]string{"workers", "cordon", "w1", "--note"}, `drover: workers cordon: flag needs an argument: --note`},
		// A global flag, after the command or before it, is parsed by the
		// command run.
		{[]string{"ls", "--session-timeout", "5x"}, `drover: ls: --session-timeout "5x": want a duration such as 90s, 5m or 1h30m`},
		{[]string{"--session-timeout", "5x", "version"}, `drover: version: --session-timeout "5x": want a duration such as 90s, 5m or 1h30m`},
		{[]string{"schedule", "--bogus-polish218"}, `drover: schedule: unknown flag: --bogus-polish218`},
		{[]string{"help", "--bogus-polish218"}, `drover: help: unknown flag: --bogus-polish218`}, // added as the tree runs
		// A command's own check of a flag's value names the command too.
		{[]string{"ls", "--limit", "-1"}, `drover: ls: --limit -1: must not be negative`},
		{[]string{"deadletter", "ls", "--limit", "-1"}, `drover: deadletter ls: --limit -1: must not be negative`},
		// The root's own: no command to name, and "drover" once.
		{[]string{"--bogus-polish218"}, `drover: unknown flag: --bogus-polish218`},
		{[]string{"--session-timeout", "5x"}, `drover: --session-timeout "5x": want a duration such as 90s, 5m or 1h30m`},
	} {
		wantLine(t, drover(t, root, c.args...), c.args, c.want+"\n")
	}
}

func wantLine(t *testing.T, r result, args []string, want string) {
	t.Helper()
	if r.code != 2 || r.stderr != want {
		t.Errorf("drover %q: exit %d, stderr %q; want exit 2, %q", args, r.code, r.stderr, want)
	}
}
