package main

import (
	"strings"
	"testing"

	"github.com/drover-sched/drover/store"
)

// A wait without -o json and ls's table keep no task's output, payload,
// env or history: held for a whole batch or listing, they made the
// command's memory grow with every result's output (2,000 results with
// 128 KiB of output: 408 MB for wait -f, 349 MB for ls).
func TestWaitAndTableKeepNoOutput(t *testing.T) {
	big := strings.Repeat("x", 64<<10)
	code := 3
	full := func() *store.Task {
		return &store.Task{ID: "01JAAAAAAAAAAAAAAAAAAAAAAA", Name: "n", State: store.StateFailed, ExitCode: &code, Error: "boom",
			Cmd: []string{"sh", "-c", big}, Payload: []byte(big), Env: map[string]string{"K": big}, Stdout: big, Stderr: big,
			History: []store.Attempt{{N: 1, Stdout: big, Stderr: big}}}
	}
	held := func(t *store.Task) int {
		n := len(t.Stdout) + len(t.Stderr) + len(t.Payload) + len(t.History)
		for _, a := range t.Cmd {
			n += len(a)
		}
		for _, v := range t.Env {
			n += len(v)
		}
		return n
	}
	end := endOf(full())
	if held(end) != 0 || end.State != store.StateFailed || *end.ExitCode != 3 || end.Error != "boom" {
		t.Errorf("wait keeps %d bytes of output (or lost the end: %+v)", held(end), end)
	}
	for _, wide := range []bool{false, true} {
		tk := full()
		tableSlim(wide)(tk)
		n := held(tk)
		if wide {
			n -= len("sh") + len("-c") + len(big) // COMMAND is shown
		}
		if n != 0 || tk.Name != "n" || tk.Error != "boom" {
			t.Errorf("ls table (wide %v) keeps %d bytes it does not show (%q %q)", wide, n, tk.Name, tk.Error)
		}
	}
}
