package web

import (
	"testing"

	"github.com/drover-sched/drover/drovertest"
)

// tasks?state= takes several states joined by commas, as drover ls
// --state does: a task in any of them is listed; an unknown or empty one
// among them is a 400.
func TestTasksOfSeveralStates(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	queueTasks(t, st, "a", 2)
	hs := apiServer(t, st)
	for q, want := range map[string]int{"queued,dead": 2, "dead,queued,dead": 2, "dead,failed": 0, "queued": 2} {
		var got []struct {
			ID string `json:"id"`
		}
		if getList(t, hs.URL+"/api/v1/tasks?state="+q, &got); len(got) != want {
			t.Errorf("tasks?state=%s: %d tasks, want %d", q, len(got), want)
		}
	}
	for _, q := range []string{"queued,bogus", "queued,", ",queued"} {
		if code, body := get(t, hs.URL+"/api/v1/tasks?state="+q); code != 400 {
			t.Errorf("tasks?state=%s: %d %s, want 400", q, code, body)
		}
	}
}
