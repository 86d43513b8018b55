package client

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// A spec's at and in make its record's not_before, by the submit's clock;
// a time past is none; the JSON form keeps them.
func TestTaskSpecStart(t *testing.T) {
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		spec TaskSpec
		want time.Time
		bad  bool
	}{
		{spec: TaskSpec{}, want: time.Time{}},
		{spec: TaskSpec{In: 10 * time.Minute}, want: now.Add(10 * time.Minute)},
		{spec: TaskSpec{At: now.Add(time.Hour).In(time.FixedZone("x", 3600))}, want: now.Add(time.Hour)},
		{spec: TaskSpec{At: now.Add(-time.Hour)}, want: now.Add(-time.Hour)}, // the leader judges it: at once by its clock, unless it is behind
		{spec: TaskSpec{At: now.Add(-25 * time.Hour)}, want: time.Time{}},
		{spec: TaskSpec{At: now}, want: now},
		{spec: TaskSpec{In: MaxDelay}, want: now.Add(MaxDelay)},
		{spec: TaskSpec{In: MaxDelay + time.Second}, bad: true},
		{spec: TaskSpec{At: now.Add(MaxDelay + time.Second)}, bad: true},
		{spec: TaskSpec{In: -time.Second}, bad: true},
		{spec: TaskSpec{In: time.Second, At: now.Add(time.Hour)}, bad: true},
	}
	for _, c := range cases {
		c.spec.Cmd = []string{"true"}
		task, err := c.spec.Task(now)
		if c.bad {
			if err == nil {
				t.Errorf("%+v: no error", c.spec)
			}
			continue
		}
		if err != nil || !task.NotBefore.Equal(c.want) || task.NotBefore.Location() != time.UTC {
			t.Errorf("%+v: not_before %v, %v; want %v (UTC)", c.spec, task.NotBefore, err, c.want)
		}
		b, err := json.Marshal(c.spec)
		if err != nil {
			t.Fatal(err)
		}
		var back TaskSpec
		if err := json.Unmarshal(b, &back); err != nil || !back.At.Equal(c.spec.At) || back.In != c.spec.In {
			t.Errorf("%+v: JSON %s read back as %+v (%v)", c.spec, b, back, err)
		}
	}
	var s TaskSpec
	if err := json.Unmarshal([]byte(`{"cmd":["true"],"at":"tomorrow"}`), &s); err == nil {
		t.Errorf(`"at":"tomorrow" read as %+v`, s)
	}
	if err := json.Unmarshal([]byte(`{"cmd":["true"],"in":"soon"}`), &s); err == nil {
		t.Errorf(`"in":"soon" read as %+v`, s)
	}
	if err := json.Unmarshal([]byte(`{"cmd":["true"],"in":"0s","at":"2026-12-07T02:00:00Z"}`), &s); err == nil || !strings.Contains(err.Error(), "not both") {
		t.Errorf(`"in":"0s" with an "at": %v; want refused`, err)
	}
}

// A spec's starting deadline makes its record's start_by: its start (now,
// or its at / in) plus the deadline; bad ones are refused; the JSON form
// keeps it; a schedule's template takes none (the schedule has its own).
func TestTaskSpecStartingDeadline(t *testing.T) {
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		spec TaskSpec
		want time.Time
		bad  bool
	}{
		{spec: TaskSpec{}, want: time.Time{}},
		{spec: TaskSpec{StartingDeadline: time.Minute}, want: now.Add(time.Minute)},
		{spec: TaskSpec{StartingDeadline: time.Minute, In: time.Hour}, want: now.Add(time.Hour + time.Minute)},
		{spec: TaskSpec{StartingDeadline: time.Minute, At: now.Add(2 * time.Hour)}, want: now.Add(2*time.Hour + time.Minute)},
		{spec: TaskSpec{StartingDeadline: time.Minute, At: now.Add(-48 * time.Hour)}, want: now.Add(time.Minute)}, // an at long past is now
		{spec: TaskSpec{StartingDeadline: time.Millisecond}, want: now.Add(time.Millisecond)},
		{spec: TaskSpec{StartingDeadline: time.Microsecond}, bad: true},
		{spec: TaskSpec{StartingDeadline: -time.Second}, bad: true},
		{spec: TaskSpec{StartingDeadline: MaxDelay + time.Second}, bad: true},
	}
	for _, c := range cases {
		c.spec.Cmd = []string{"true"}
		task, err := c.spec.Task(now)
		if c.bad {
			if err == nil {
				t.Errorf("%+v: no error", c.spec)
			}
			continue
		}
		if err != nil || !task.StartBy.Equal(c.want) {
			t.Errorf("%+v: start_by %v, %v; want %v", c.spec, task.StartBy, err, c.want)
		}
		if !c.want.IsZero() && !task.StartByBinds() {
			t.Errorf("%+v: start_by does not bind its first attempt", c.spec)
		}
		b, err := json.Marshal(c.spec)
		if err != nil {
			t.Fatal(err)
		}
		var back TaskSpec
		if err := json.Unmarshal(b, &back); err != nil || back.StartingDeadline != c.spec.StartingDeadline {
			t.Errorf("%+v: JSON %s read back as %+v (%v)", c.spec, b, back, err)
		}
	}
	var s TaskSpec
	if err := json.Unmarshal([]byte(`{"cmd":["true"],"starting_deadline":"soon"}`), &s); err == nil {
		t.Errorf(`"starting_deadline":"soon" read as %+v`, s)
	}
	spec := ScheduleSpec{Name: "s", Cron: "@hourly", Task: TaskSpec{Cmd: []string{"true"}, StartingDeadline: time.Minute}}
	if _, err := spec.Record(now); err == nil || !strings.Contains(err.Error(), "starting deadline") {
		t.Errorf("schedule whose template has a starting deadline: %v; want refused", err)
	}
}

// An empty duration in a JSONL line ("timeout": "$T" with T unset) is
// refused, as its flag is, not taken for none.
func TestTaskSpecRefusesEmptyDurations(t *testing.T) {
	for _, field := range []string{"timeout", "in", "starting_deadline"} {
		var s TaskSpec
		err := json.Unmarshal([]byte(`{"cmd":["true"],"`+field+`":""}`), &s)
		if err == nil || !strings.Contains(err.Error(), "empty") {
			t.Errorf(`"%s": "": %v; want refused as empty`, field, err)
		}
	}
}
