package web

import (
	"encoding/json"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/client"
	"github.com/drover-sched/drover/store"
)

// TestReview219TaskPageAttemptsHeading: once a task has ended, its API
// record's history holds its last attempt too (drover status lists it as
// "attempt 2"), and the task page listed it under "Attempts before": the
// attempt the fields above describe, said to have come before itself.
func TestReview219TaskPageAttemptsHeading(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (make test installs it with apt-get)")
	}
	code := 0
	now := time.Now().UTC()
	task := &store.Task{ID: "01JTASK0000000000000000219", Cmd: []string{"true"}, Retries: 1,
		State: store.StateSucceeded, Attempt: 2, SubmittedAt: now.Add(-time.Minute), StartedAt: now.Add(-20 * time.Second), FinishedAt: now,
		Worker: "w2", ExitCode: &code,
		History: []store.Attempt{
			{N: 1, Worker: "w1", StartedAt: now.Add(-50 * time.Second), FinishedAt: now.Add(-40 * time.Second), ExitCode: 1},
			{N: 2, Worker: "w2", StartedAt: now.Add(-20 * time.Second), FinishedAt: now, ExitCode: 0},
		}}
	body, err := json.Marshal(client.TaskJSONOf(task))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/tasks/{id}", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(body) })
	dom := renderPage(t, chromium, mux, "/task.html?id="+task.ID)
	if !strings.Contains(dom, "<td>w2</td>") {
		t.Fatalf("the page does not list the last attempt:\n%s", dom)
	}
	if strings.Contains(dom, "Attempts before") {
		t.Errorf("the page lists the task's last attempt under \"Attempts before\":\n%s", dom)
	}
}
