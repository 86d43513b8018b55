package client

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/drover-sched/drover/store"
)

// AfterKey names tasks by key: a key an earlier spec of the call gives
// names that spec's task, as written (the key's first task when it was
// taken before, not the id the spec was given), and any other key the
// task the cluster has for it. A key no task has, or one given only by a
// later spec, refuses the call before anything is written.
func TestSubmitAfterKey(t *testing.T) {
	c, _ := newClient(t)
	ctx := context.Background()
	before, err := c.Submit(ctx, []TaskSpec{{Cmd: []string{"true"}, Key: "setup"}})
	if err != nil {
		t.Fatal(err)
	}
	setup := before[0].ID

	specs := []TaskSpec{
		{Cmd: []string{"echo", "extract"}, Key: "extract"},
		{Cmd: []string{"echo", "transform"}, Key: "transform", AfterKey: []string{"extract", "setup"}},
		{Cmd: []string{"echo", "other"}, Key: "other"},
		{Cmd: []string{"echo", "load"}, AfterKey: []string{"transform", "extract", "transform"}, After: []string{strings.ToLower(setup)}},
		// The key taken before, by a task of another spec: it names that task.
		{Cmd: []string{"echo", "again"}, Key: "setup"},
		{Cmd: []string{"echo", "last"}, AfterKey: []string{"setup", "other"}},
	}
	res, err := c.Submit(ctx, specs)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != len(specs) || res[4].ID != setup || !res[4].Existing {
		t.Fatalf("results %+v", res)
	}
	want := map[int][]string{
		1: {res[0].ID, setup},
		3: {res[0].ID, res[1].ID, setup},
		5: {res[2].ID, setup},
	}
	for i, ids := range want {
		task, err := c.Status(ctx, res[i].ID)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(ids)
		if !slices.Equal(task.After, ids) {
			t.Errorf("task %d (%s): after %v, want %v", i+1, specs[i].Cmd[1], task.After, ids)
		}
	}

	// Refused before anything is written.
	list := func() int {
		l, err := c.List(ctx, store.StateQueued, 1000)
		if err != nil {
			t.Fatal(err)
		}
		return len(l)
	}
	n := list()
	for _, bad := range []struct {
		specs []TaskSpec
		msg   string
	}{
		{[]TaskSpec{{Cmd: []string{"true"}, AfterKey: []string{"nope"}}}, `after_key "nope": no task has this key`},
		{[]TaskSpec{{Cmd: []string{"true"}}, {Cmd: []string{"true"}, AfterKey: []string{"late"}}, {Cmd: []string{"true"}, Key: "late"}},
			`task 2: after_key "late": no task has this key (the task that gives it must come before the one that waits for it)`},
		{[]TaskSpec{{Cmd: []string{"true"}, Key: "self", AfterKey: []string{"self"}}}, "it would wait for itself"},
		{[]TaskSpec{{Cmd: []string{"true"}, AfterKey: []string{""}}}, `after_key "": empty`},
		{[]TaskSpec{{Cmd: []string{"true"}, AfterKey: []string{"a\x1b[2J"}}}, "want printable UTF-8"},
	} {
		_, err := c.Submit(ctx, bad.specs)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), bad.msg) {
			t.Errorf("submit %+v: %v, want ErrInvalid with %q", bad.specs, err, bad.msg)
		}
	}
	many := make([]string, store.MaxAfter)
	for i := range many {
		many[i] = "k" + strings.Repeat("x", i)
	}
	if _, err := c.Submit(ctx, []TaskSpec{{Cmd: []string{"true"}, AfterKey: many, After: []string{setup}}}); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "want at most 32") {
		t.Errorf("33 tasks to wait for: %v", err)
	}
	if got := list(); got != n {
		t.Fatalf("refused submits wrote tasks: %d queued, %d before", got, n)
	}

	// A schedule's task cannot wait.
	if _, err := c.AddSchedule(ctx, ScheduleSpec{Name: "s", Cron: "@hourly", Task: TaskSpec{Cmd: []string{"true"}, AfterKey: []string{"setup"}}}); err == nil ||
		!strings.Contains(err.Error(), "cannot wait") {
		t.Fatalf("schedule with after_key: %v", err)
	}

	// TaskOfKey.
	if got, err := c.TaskOfKey(ctx, "transform"); err != nil || got.ID != res[1].ID {
		t.Fatalf("TaskOfKey(transform) = %+v, %v", got, err)
	}
	if _, err := c.TaskOfKey(ctx, "nope"); !errors.Is(err, store.ErrNoKey) {
		t.Fatalf("TaskOfKey(nope): %v", err)
	}
}

func TestAfterKeyJSON(t *testing.T) {
	var s TaskSpec
	if err := s.UnmarshalJSON([]byte(`{"cmd":["true"],"after_key":["a","b,c"]}`)); err != nil || !slices.Equal(s.AfterKey, []string{"a", "b,c"}) {
		t.Fatalf("after_key decoded as %+v, %v", s, err)
	}
	b, err := s.MarshalJSON()
	if err != nil || !strings.Contains(string(b), `"after_key":["a","b,c"]`) {
		t.Fatalf("encoded as %s, %v", b, err)
	}
	var lines []string
	var outs [][]string
	err = EachSpecLine(strings.NewReader(`{"cmd":["true"],"key":"a"}

{"cmd":["true"],"after_key":["a","z"],"key":"b"}
{"cmd":["true"],"after_key":["b","c","a"]}
{"cmd":["true"],"key":"c"}
`), func(s TaskSpec, line int, outside []string) error {
		lines = append(lines, strings.Repeat("x", line))
		outs = append(outs, outside)
		return nil
	})
	if err != nil || len(lines) != 4 || len(lines[1]) != 3 || !slices.Equal(outs[1], []string{"z"}) || !slices.Equal(outs[2], []string{"c"}) || outs[0] != nil {
		t.Fatalf("EachSpecLine: %v, lines %v, outside %q", err, lines, outs)
	}
}
