package main

import "testing"

// TestReview222NotInFileOfACommandWithoutIt: dbaf3aa refuses after and
// after-key in a config file, as key, "give them with --after", in the
// section of any command, one that has no such flag too: a file's add:
// section with after: was told to give schedule add --after, which
// schedule add refuses as an unknown flag. A section's setting its command
// lacks is an unknown setting, whatever its name.
func TestReview222NotInFileOfACommandWithoutIt(t *testing.T) {
	root := newRoot()
	for _, tc := range []struct{ section, key, want string }{
		{"add", "after: [x]", `add: unknown setting "after" (not a flag of drover add)`},
		{"worker", "after-key: [x]", `worker: unknown setting "after-key" (not a flag of drover worker)`},
		{"ls", "key: x", `ls: unknown setting "key" (not a flag of drover ls)`},
		// The commands that take it: refused, saying why.
		{"submit", "after: [x]", "submit: after: not a setting for a file: a task's dependencies are that task's; give them with --after"},
		{"ls", "help: true", "ls: help: not a setting for a file: help is asked for on the command line (--help)"},
		{"status", "key: [x]", "status: key: not a setting for a file: an idempotency key names one task; give it with --key"},
	} {
		cfg := writeConfig(t, tc.section+":\n  "+tc.key+"\n")
		oneLineError(t, drover(t, root, "--config", cfg, "version"), 2, "--config "+cfg+": "+tc.want)
	}
}
