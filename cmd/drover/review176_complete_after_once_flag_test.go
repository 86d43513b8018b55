package main

import (
	"strings"
	"testing"
)

// onlyOnce (7f163b5) makes submit's -f and --key, and wait's -f, refuse a
// second Set in the process. Cobra's TAB completion (`drover __complete`,
// which the scripts of `drover completion bash|zsh|fish|powershell` run at
// every TAB) parses the command line's flags more than once in one
// process, so a -f or --key given ONCE is "given twice" there: the parse
// fails and completion falls back to file names. `drover submit --key k
// --re<TAB>` completed --retries before, and now offers nothing of
// drover's; so does `drover wait -f ids.txt --ti<TAB>` for --timeout.
// (review176)
func TestTabCompletionAfterKeyOrFileGivenOnce(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"__complete", "submit", "--key", "k", "--re"}, "--retries"},
		{[]string{"__complete", "submit", "-f", "tasks.jsonl", "--wa"}, "--wait"},
		{[]string{"__complete", "wait", "-f", "ids.txt", "--ti"}, "--timeout"},
	} {
		r := drover(t, newRoot(), c.args...)
		if r.code != 0 || !strings.Contains(r.stdout, c.want) {
			t.Errorf("drover %s: exit %d, stdout %q, stderr %q: want %s offered",
				strings.Join(c.args, " "), r.code, r.stdout, r.stderr, c.want)
		}
	}
}
