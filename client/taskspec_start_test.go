package client

import (
	"encoding/json"
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
}
