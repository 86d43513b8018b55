package web

import (
	"github.com/drover-sched/drover/client"
	"github.com/drover-sched/drover/store"
)

// redacted replaces the value of each env variable in the API's answers.
const redacted = "***"

// taskView is a task as the API shows it: the CLI's stable JSON form
// (client.TaskJSON, as drover status -o json), redacted.
type taskView struct {
	client.TaskJSON
	PayloadBytes int `json:"payload_bytes,omitempty"`
}

// templateView is a schedule's task template as the API shows it: the
// record, as drover schedule ls -o json shows it, redacted.
type templateView struct {
	*store.Task
	PayloadBytes int `json:"payload_bytes,omitempty"`
}

// redact returns a copy of t without its payload and with its env values
// replaced by "***"; t itself is not changed. Env values (DB_PASSWORD=...)
// and handler payloads are the submitter's secrets, and anyone who can reach
// --http reads the API: it shows env by its names, a payload by its length.
func redact(t *store.Task) *store.Task {
	c := *t
	c.Payload = nil
	if t.Env != nil {
		c.Env = make(map[string]string, len(t.Env))
		for k := range t.Env {
			c.Env[k] = redacted
		}
	}
	return &c
}

// viewTask returns t redacted for the API.
func viewTask(t *store.Task) taskView {
	return taskView{TaskJSON: client.TaskJSONOf(redact(t)), PayloadBytes: len(t.Payload)}
}

// viewTasks redacts a list of tasks (never nil, so it encodes as []).
func viewTasks(ts []*store.Task) []taskView {
	out := make([]taskView, len(ts))
	for i, t := range ts {
		out[i] = viewTask(t)
	}
	return out
}

// scheduleView is a schedule as the API shows it: its task template is
// redacted as tasks are. Task, at the top, hides the template's own field.
type scheduleView struct {
	client.ScheduleInfo
	Task templateView `json:"task"`
}

// viewSchedules redacts a list of schedules (never nil).
func viewSchedules(list []client.ScheduleInfo) []scheduleView {
	out := make([]scheduleView, len(list))
	for i, s := range list {
		out[i] = scheduleView{ScheduleInfo: s, Task: templateView{Task: redact(&s.Schedule.Task), PayloadBytes: len(s.Schedule.Task.Payload)}}
	}
	return out
}
