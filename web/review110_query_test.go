package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/drover-sched/drover/client"
	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// README: "a query that does not parse, or gives a parameter twice or
// empty, is a 400". Only the two listings read their query (queryParam):
// cluster, tasks/ID and schedules/NAME never look at theirs, and answer 200
// to a query that does not parse or repeats a parameter. And a listing
// reads only the names it knows: a filter misspelt (?status=running,
// ?State=running) or sent to a listing that has none (schedules?state=)
// is dropped without a word, and the answer, every state, passes for the
// filtered one: a script counting running tasks counts them all.
// (Found by review110.)
func TestAPIAnswersQueriesItDoesNotRead(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	c := client.New(st)
	res, err := c.Submit(context.Background(), []client.TaskSpec{{Cmd: []string{"true"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddSchedule(context.Background(), client.ScheduleSpec{Name: "nightly", Cron: "@daily", Task: client.TaskSpec{Cmd: []string{"true"}}}); err != nil {
		t.Fatal(err)
	}
	hs := apiServer(t, st) // no scheduler runs: the task stays queued
	// The listing does filter by a state it reads: no task is running.
	var running []taskView
	getList(t, hs.URL+"/api/v1/tasks?state="+string(store.StateRunning), &running)
	if len(running) != 0 {
		t.Fatalf("tasks?state=running: %d tasks, want none", len(running))
	}
	for _, q := range []string{
		"/api/v1/cluster?%zz",
		"/api/v1/cluster?x=1&x=2",
		"/api/v1/tasks/" + res[0].ID + "?%zz",
		"/api/v1/schedules/nightly?limit=1&limit=2",
		"/api/v1/tasks?status=running",
		"/api/v1/tasks?State=running",
		"/api/v1/schedules?state=running",
	} {
		r, err := http.Get(hs.URL + q)
		if err != nil {
			t.Fatal(err)
		}
		var e struct{ Error string }
		var raw json.RawMessage
		derr := json.NewDecoder(r.Body).Decode(&raw)
		r.Body.Close()
		if r.StatusCode != http.StatusBadRequest || derr != nil || json.Unmarshal(raw, &e) != nil || e.Error == "" {
			t.Errorf("GET %s: %d %s, want 400 with a JSON error", q, r.StatusCode, strings.TrimSpace(string(raw)))
		}
	}
}
