package main

import (
	"testing"

	"github.com/drover-sched/drover/client"
)

// settingKind (2bdae23) let through what the decoder then read otherwise:
//   - a whole number with a leading zero passed strconv.Atoi as ten, and
//     YAML read it as octal: `retries: 010` gave 8 retries, where schedule
//     add --retries 010 gives 10 (root.go's decimal; review174);
//   - a null in cmd (`~`, `null`: a home directory's usual name) passed as a
//     scalar, and the decoder dropped it from the list: [ls, ~] ran ls alone;
//   - a merge key in env or on (`env: {<<: *base, B: two}`), which the decoder
//     merges as YAML says, was refused with "want a mapping", given one.
//
// (review210)
func TestScheduleApplySettingKindAsDecoded(t *testing.T) {
	// read is the last schedule body's file describes.
	read := func(body string) (client.ScheduleSpec, error) {
		specs, err := readScheduleFile([]byte(body))
		if err != nil {
			return client.ScheduleSpec{}, err
		}
		return specs[len(specs)-1], nil
	}
	if s, err := read("a:\n  cron: '@hourly'\n  cmd: [x]\n  retries: 010\n  keep-succeeded: 020\n"); err == nil && (s.Task.Retries != 10 || s.KeepSucceeded != 20) {
		t.Errorf("retries: 010, keep-succeeded: 020: read as %d and %d; want 10 and 20 (as schedule add --retries 010), or refused", s.Task.Retries, s.KeepSucceeded)
	}
	if s, err := read("a:\n  cron: '@hourly'\n  cmd: [ls, ~, null]\n"); err == nil {
		t.Errorf("cmd: [ls, ~, null]: read as %q, the nulls dropped; want them refused", s.Task.Cmd)
	}
	s, err := read("a:\n  cron: '@hourly'\n  cmd: [x]\n  env: &e {A: one}\nb:\n  cron: '@hourly'\n  cmd: [x]\n  env: {<<: *e, B: two}\n")
	if err != nil || s.Task.Env["A"] != "one" || s.Task.Env["B"] != "two" || len(s.Task.Env) != 2 {
		t.Errorf("env: {<<: *e, B: two}: %q, %v; want A=one B=two", s.Task.Env, err)
	}
}
