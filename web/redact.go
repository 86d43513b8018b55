package web

import (
	"github.com/drover-sched/drover/client"
	"github.com/drover-sched/drover/store"
)

// redacted replaces the value of each env variable in the API's answers.
const redacted = "***"

// taskView is a task as the API shows it. Env values (DB_PASSWORD=...) and
// handler payloads are the submitter's secrets, and anyone who can reach
// --http reads the API, so env keeps its names with the values replaced by
// "***" and the payload is given by its length only.
type taskView struct {
	*store.Task
	PayloadBytes int `json:"payload_bytes,omitempty"`
}

// viewTask returns t redacted for the API; t itself is not changed.
func viewTask(t *store.Task) taskView {
	c := *t
	c.Payload = nil
	if t.Env != nil {
		c.Env = make(map[string]string, len(t.Env))
		for k := range t.Env {
			c.Env[k] = redacted
		}
	}
	return taskView{Task: &c, PayloadBytes: len(t.Payload)}
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
	Task taskView `json:"task"`
}

// viewSchedules redacts a list of schedules (never nil).
func viewSchedules(list []client.ScheduleInfo) []scheduleView {
	out := make([]scheduleView, len(list))
	for i, s := range list {
		out[i] = scheduleView{ScheduleInfo: s, Task: viewTask(&s.Schedule.Task)}
	}
	return out
}
