package client

import (
	"context"
	"strings"
	"testing"

	"github.com/drover-sched/drover/drovertest"
)

// TestReview136LongShellScriptIsNotAProgramName: 2dab3a0 bounds a
// submitted task's program name at 4,096 bytes (PATH_MAX), checking
// len(Cmd[0]). But a shell task's program is /bin/sh (Task.Program, what
// the leader holds in its runnable); its Cmd[0] is the start of the
// script it runs with sh -c: `drover submit --shell -- "$(cat job.sh)"`
// or a -f line {"shell":true,"cmd":["<a script>"]}. A script of more than
// 4,096 bytes in its first argument, which every earlier release ran, is
// now refused as "program: N bytes: want at most 4096 (PATH_MAX: the
// kernel runs no longer path)", and so is a schedule with it as template.
// The check should go by Program().
func TestReview136LongShellScriptIsNotAProgramName(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	c := New(st)
	script := "set -e\n" + strings.Repeat("echo 'a line of a longer script'\n", 160) // ~5 KB, one argument
	spec := TaskSpec{Cmd: []string{script}, Shell: true}
	var bad []string
	if _, err := c.Submit(context.Background(), []TaskSpec{spec}); err != nil {
		bad = append(bad, "submit: "+err.Error())
	}
	if _, err := c.AddSchedule(context.Background(), ScheduleSpec{Name: "nightly", Cron: "@daily", Task: spec}); err != nil {
		bad = append(bad, "schedule add: "+err.Error())
	}
	if len(bad) > 0 {
		t.Fatalf("a shell task (program /bin/sh) with a %d-byte script refused: %s", len(script), strings.Join(bad, "; "))
	}
}
