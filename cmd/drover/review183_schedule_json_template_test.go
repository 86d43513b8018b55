package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// schedule get -o json (and schedule ls -o json, /api/v1/schedules) show
// the schedule's task template as a whole task record of Go zero values:
// "id": "", "submitted_at": "0001-01-01T00:00:00Z", "state": "",
// "attempt": 0. A script reading the stable JSON output finds a task that
// was submitted in year 1, in a state README's list of states does not
// have (queued|assigned|...). A template has no id, submit time, state or
// attempt: expected, those keys are left out of it (as `-o json` leaves
// out other fields that do not apply). (review183)
func TestScheduleJSONTemplateHasNoZeroTaskFields(t *testing.T) {
	root := newRoot()
	if r := drover(t, root, "schedule", "add", "nightly", "--cron", "0 2 * * *", "--tz", "Europe/Berlin", "--", "./report.sh"); r.code != 0 {
		t.Fatalf("schedule add: %+v", r)
	}
	for _, args := range [][]string{{"-o", "json", "schedule", "get", "nightly"}, {"-o", "json", "schedule", "ls"}} {
		r := drover(t, root, args...)
		if r.code != 0 {
			t.Fatalf("drover %v: %+v", args, r)
		}
		var v any
		if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
			t.Fatalf("drover %v: %v\n%s", args, err, r.stdout)
		}
		if l, ok := v.([]any); ok && len(l) > 0 {
			v = l[0]
		}
		tmpl, _ := v.(map[string]any)["task"].(map[string]any)
		if tmpl == nil {
			t.Fatalf("drover %v: no task template:\n%s", args, r.stdout)
		}
		var bad []string
		for _, k := range []string{"id", "submitted_at", "state", "attempt"} {
			if val, ok := tmpl[k]; ok {
				b, _ := json.Marshal(val)
				bad = append(bad, k+": "+string(b))
			}
		}
		if len(bad) > 0 {
			t.Errorf("drover %s: the task template carries a task's zero values: %s", strings.Join(args, " "), strings.Join(bad, ", "))
		}
	}
}
