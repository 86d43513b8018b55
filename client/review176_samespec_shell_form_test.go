package client

import (
	"strings"
	"testing"

	"github.com/drover-sched/drover/store"
)

// A shell task runs `sh -c` with its arguments joined by spaces (worker
// execute: strings.Join(task.Cmd, " ")), so {"cmd":["echo","hi"],
// "shell":true} and {"cmd":["echo hi"],"shell":true} are one command,
// `/bin/sh -c "echo hi"`, in form two. specDigest hashes Cmd as a list,
// so SameSpec calls them two specs: a -f file giving one key to both
// lines is refused (exit 2, "with another task: a key names one task"),
// and `drover submit --shell --key K -- "echo hi"` after `... -- echo hi`
// says the first was "submitted before with another spec". (review176)
func TestSameSpecShellCommandJoined(t *testing.T) {
	a := &store.Task{Cmd: []string{"echo", "hi"}, Shell: true}
	b := &store.Task{Cmd: []string{"echo hi"}, Shell: true}
	if !SameSpec(a, b) {
		t.Error(`shell task ["echo","hi"] and ["echo hi"] (both sh -c "echo hi") taken for two specs`)
	}
	file := `{"cmd":["echo","hi"],"shell":true,"key":"k"}` + "\n" + `{"cmd":["echo hi"],"shell":true,"key":"k"}` + "\n"
	n := 0
	if err := EachSpec(strings.NewReader(file), func(TaskSpec) error { n++; return nil }); err != nil {
		t.Errorf("a file whose two lines of key k run the same shell command is refused: %v", err)
	}
	// (Not the same without shell: argv ["echo hi"] names a program "echo hi".)
	if SameSpec(&store.Task{Cmd: []string{"echo", "hi"}}, &store.Task{Cmd: []string{"echo hi"}}) {
		t.Error("argv tasks taken for one")
	}
}
