package main

import (
	"strings"
	"testing"
)

// TestReview222FlagWordsHandlerOnEnvShell: 1d8b992 put a task given by
// flags in its flags' words, but --handler, --on, --env and --shell were
// left in the record's: "handler: name "a/b": ...: invalid name", "label
// "a b": name "a b": ...", "env DROVER_X: ...", "shell is for command
// tasks", none naming the flag typed; and a config file's on: ['a b=c']
// was not blamed (the message named neither the flag nor the value the
// file gave). A -f line keeps its fields' names.
func TestReview222FlagWordsHandlerOnEnvShell(t *testing.T) {
	root := newRoot()
	for _, tc := range []struct {
		args      []string
		want, not string
	}{
		{[]string{"submit", "--handler", "a/b"}, `submit: --handler "a/b": must not contain '/'`, "invalid name"},
		{[]string{"submit", "--on", "a b=c", "--", "true"}, `submit: --on: label "a b": name "a b": must not contain '/'`, "invalid name"},
		{[]string{"submit", "--env", "DROVER_X=1", "--", "true"}, "submit: --env DROVER_X: DROVER_ names are Drover's own", ""},
		{[]string{"submit", "--handler", "h", "--shell"}, "submit: --shell is for command tasks, not handlers", ""},
		{[]string{"schedule", "add", "s", "--cron", "@daily", "--handler", "a/b"}, `schedule add s: --handler "a/b": must not contain '/'`, "invalid name"},
		{[]string{"schedule", "add", "s", "--cron", "@daily", "--on", "a b=c", "--", "true"}, `schedule add s: --on: label "a b"`, "invalid name"},
	} {
		r := drover(t, root, tc.args...)
		oneLineError(t, r, 2, tc.want)
		if tc.not != "" && strings.Contains(r.stderr, tc.not) {
			t.Errorf("%q: %q names %q", tc.args, r.stderr, tc.not)
		}
	}
	cfg := writeConfig(t, "submit:\n  on: ['a b=c']\n")
	oneLineError(t, drover(t, root, "--config", cfg, "submit", "--", "true"), 2, "--config "+cfg+": submit: --on: label")
	// A -f line: its fields' names.
	oneLineError(t, droverIn(t, root, `{"handler":"a/b"}`+"\n", "submit", "-f", "-"), 2, `line 1: handler: name "a/b"`)
	oneLineError(t, droverIn(t, root, `{"cmd":["true"],"on":{"a b":"c"}}`+"\n", "submit", "-f", "-"), 2, `line 1: label "a b"`)
}
