package client

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/store"
)

func TestReadSpecs(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		n       int
		errLine string
	}{
		{"one", `{"cmd":["true"]}`, 1, ""},
		{"blank lines skipped", "\n{\"cmd\":[\"true\"]}\n\n{\"cmd\":[\"echo\",\"x\"],\"timeout\":\"10m\",\"priority\":\"high\",\"on\":{\"gpu\":\"true\"}}\n", 2, ""},
		{"unknown field", "{\"cmd\":[\"true\"]}\n{\"cmd\":[\"true\"],\"retry\":3}", 0, "line 2"},
		{"not json", `cmd: true`, 0, "line 1"},
		{"two values", `{"cmd":["true"]} {"cmd":["true"]}`, 0, "line 1"},
		{"no command", `{"name":"x"}`, 0, "line 1"},
		{"bad timeout", `{"cmd":["true"],"timeout":10}`, 0, "line 1"},
		{"bad priority", `{"cmd":["true"],"priority":"urgent"}`, 0, "line 1"},
		{"bad name", `{"cmd":["true"],"name":"../x"}`, 0, "line 1"},
		{"bad env", `{"cmd":["true"],"env":{"A=B":"c"}}`, 0, "line 1"},
		{"too large", `{"cmd":["echo","` + strings.Repeat("x", store.MaxRecordSize) + `"]}`, 0, "line 1"},
		{"too long a line", "{\"cmd\":[\"true\"]}\n" + `{"cmd":["echo","` + strings.Repeat("x", MaxLine) + `"]}`, 0, "line 2: longer than"},
		{"error names its line after blanks", "\n\n{\"cmd\":[\"true\"],\"retries\":-1}", 0, "line 3"},
		{"negative timeout", `{"cmd":["true"],"timeout":"-1s"}`, 0, "line 1"},
		{"timeout under 1ms", "{\"cmd\":[\"true\"],\"timeout\":\"1ms\"}\n{\"cmd\":[\"true\"],\"timeout\":\"999us\"}", 0, "line 2: timeout 999µs: must be at least 1ms"},
		{"all fields", `{"cmd":["true"],"name":"n","retries":2,"timeout":"1m30s","on":{"k":"v"},"priority":"low","key":"k","env":{"A":"b"},"shell":true}`, 1, ""},
		// A value of the wrong kind is named by its field's JSON name and
		// what it takes, not by Go's types (Found by review.)
		{"fractional retries", "{\"cmd\":[\"true\"]}\n\n{\"cmd\":[\"true\"],\"retries\":1.5}", 0, "line 3: retries: want a whole number, got 1.5"},
		{"retries as a string", `{"cmd":["true"],"retries":"3"}`, 0, "line 1: retries: want a whole number, got a string"},
		{"cmd as a string", `{"cmd":"true"}`, 0, "line 1: cmd: want an array of strings, got a string"},
		{"a number in cmd", `{"cmd":["echo",1]}`, 0, "line 1: cmd: want an array of strings, got a number in it"},
		{"a number in env", `{"cmd":["true"],"env":{"A":1}}`, 0, "line 1: env: want an object of strings, got a number in it"},
		{"on as an array", `{"cmd":["true"],"on":[]}`, 0, "line 1: on: want an object of strings, got an array"},
		{"shell as a string", `{"cmd":["true"],"shell":"yes"}`, 0, "line 1: shell: want true or false, got a string"},
		{"timeout as a number", `{"cmd":["true"],"timeout":10}`, 0, `line 1: timeout: want a duration string like "10m" or "90s", got a number`},
		{"a line not an object", `["true"]`, 0, "line 1: want a JSON object, got an array"},
		{"payload not base64", `{"handler":"h","payload":"!!"}`, 0, "line 1: payload: want a string of standard base64: illegal base64 data at input byte 0"},
		{"payload as a number", `{"handler":"h","payload":5}`, 0, "line 1: payload: want a string of standard base64, got a number"},
		// "key": "$KEY" with the variable unset is no key, and a resubmit
		// a second task: refused, as --key "" is.
		{"empty key", "{\"cmd\":[\"true\"],\"key\":\"k\"}\n{\"cmd\":[\"true\"],\"key\":\"\"}", 0, `line 2: key "": empty`},
		{"key as a number", `{"cmd":["true"],"key":5}`, 0, "line 1: key: want a string, got a number"},
		{"unknown field lists the fields", `{"cmd":["true"],"retry":3}`, 0, `line 1: unknown field "retry" (a task's fields: name, cmd, handler, payload, shell, env, retries, no_retry_exit, backoff, timeout, on, priority, key, at, in, starting_deadline, after, after_key)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			specs, err := ReadSpecs(strings.NewReader(tc.in))
			if tc.errLine == "" {
				if err != nil || len(specs) != tc.n {
					t.Fatalf("got %d specs, err %v; want %d", len(specs), err, tc.n)
				}
				return
			}
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.errLine) {
				t.Fatalf("err %v; want ErrInvalid naming %q", err, tc.errLine)
			}
			// Go's words for the same: its types, the wire struct, json's prefix.
			for _, internal := range []string{"Go struct", "Go value", "taskSpecJSON", "json: ", "[]uint8"} {
				if strings.Contains(err.Error(), internal) {
					t.Fatalf("err %v speaks of %q", err, internal)
				}
			}
		})
	}
}

func TestSpecTask(t *testing.T) {
	s := TaskSpec{Cmd: []string{"./backup.sh"}, Retries: 3, Timeout: 10 * time.Minute, Priority: "low", Name: "b"}
	task, err := s.Task(time.Unix(1700000000, 0))
	if err != nil {
		t.Fatal(err)
	}
	if task.Timeout.Duration() != 10*time.Minute || task.Priority != store.PriorityLow || task.Attempt != 1 ||
		task.State != store.StateQueued || store.ValidateTaskID(task.ID) != nil {
		t.Fatalf("task %+v", task)
	}
	for _, bad := range []TaskSpec{
		{}, {Cmd: []string{""}}, {Cmd: []string{"x"}, Retries: -1}, {Cmd: []string{"x"}, Timeout: -time.Second},
		{Cmd: []string{"x"}, Timeout: time.Nanosecond}, {Cmd: []string{"x"}, Timeout: 500 * time.Microsecond},
		{Cmd: []string{"x"}, On: map[string]string{"a/b": "c"}}, {Cmd: []string{"x"}, Key: strings.Repeat("k", 2000)},
	} {
		if _, err := bad.Task(time.Now()); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

// A timeout or starting deadline above zero but under a millisecond, what
// records keep, is refused (1ns was kept as 1ms); 0 still means none, and
// 1ms is kept as given.
func TestDurationsUnderAMillisecond(t *testing.T) {
	now := time.Now()
	for _, d := range []time.Duration{time.Nanosecond, 500 * time.Microsecond, time.Millisecond - 1} {
		if _, err := (TaskSpec{Cmd: []string{"x"}, Timeout: d}).Task(now); err == nil || !strings.Contains(err.Error(), "at least 1ms") {
			t.Errorf("timeout %v: %v; want at least 1ms", d, err)
		}
		sched := ScheduleSpec{Name: "s", Cron: "@daily", StartingDeadline: d, Task: TaskSpec{Cmd: []string{"x"}}}
		if _, err := sched.Record(now); err == nil || !strings.Contains(err.Error(), "starting deadline") || !strings.Contains(err.Error(), "at least 1ms") {
			t.Errorf("starting deadline %v: %v; want at least 1ms", d, err)
		}
		sched = ScheduleSpec{Name: "s", Cron: "@daily", Task: TaskSpec{Cmd: []string{"x"}, Timeout: d}}
		if _, err := sched.Record(now); err == nil || !strings.Contains(err.Error(), "at least 1ms") {
			t.Errorf("schedule's task timeout %v: %v; want at least 1ms", d, err)
		}
	}
	for _, d := range []time.Duration{0, time.Millisecond} {
		task, err := TaskSpec{Cmd: []string{"x"}, Timeout: d}.Task(now)
		if err != nil || task.Timeout.Duration() != d {
			t.Errorf("timeout %v: %+v %v", d, task, err)
		}
		rec, err := ScheduleSpec{Name: "s", Cron: "@daily", StartingDeadline: d, Task: TaskSpec{Cmd: []string{"x"}}}.Record(now)
		if err != nil || rec.StartingDeadline.Duration() != d {
			t.Errorf("starting deadline %v: %+v %v", d, rec, err)
		}
	}
}

func TestTaskSpecJSONRoundTrip(t *testing.T) {
	in := TaskSpec{Name: "n", Cmd: []string{"echo", "hi"}, Shell: true, Env: map[string]string{"A": "b"}, Retries: 2,
		Timeout: 90 * time.Second, On: map[string]string{"gpu": "true"}, Priority: "high", Key: "k"}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"timeout":"1m30s"`) {
		t.Fatalf("timeout not a duration string: %s", b)
	}
	var out TaskSpec
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip: %+v != %+v", out, in)
	}
	if err := json.Unmarshal([]byte(`{"cmd":["x"],"timeout":"soon"}`), &out); err == nil {
		t.Fatal("bad timeout accepted")
	}
	if err := json.Unmarshal([]byte(`{"cmd":["x"],"retry":1}`), &out); err == nil {
		t.Fatal("unknown field accepted")
	}
}

// The tasks of unknown outcome are counted in specs: a repeated key's
// spec counts with its first.
func TestUnknownSpecs(t *testing.T) {
	mk := func(id string) *store.Task { return &store.Task{ID: id} }
	a, b, c, d := mk("a"), mk("b"), mk("c"), mk("d")
	// Specs a b a' c d, where a' repeats a's key; a acknowledged, b and c
	// of unknown outcome, d not sent.
	tasks := []*store.Task{a, b, mk("a2"), c, d}
	dupOf := []int{-1, -1, 0, -1, -1}
	if ids := unknownSpecs(tasks, dupOf, 1, []*store.Task{b, c}); !slices.Equal(ids, []string{"b", "c"}) {
		t.Fatalf("unknown %q, want b, c (a' is acknowledged with a)", ids)
	}
	if ids := unknownSpecs(tasks, dupOf, 1, []*store.Task{a, b}); !slices.Equal(ids, []string{"b", "a"}) {
		t.Fatalf("unknown %q, want b, and a (a', whose first is unknown)", ids)
	}
}

// A schedule's spec naming Sunday 7 (crontab(5)) is stored with 0, which
// leaders of earlier releases read too.
func TestScheduleRecordStoresSundayAsZero(t *testing.T) {
	rec, err := ScheduleSpec{Name: "s", Cron: "0 2 * * 5-7", Task: TaskSpec{Cmd: []string{"x"}}}.Record(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if rec.Cron != "0 2 * * 5-6,0" {
		t.Fatalf("stored spec %q, want %q", rec.Cron, "0 2 * * 5-6,0")
	}
}
