package web

import (
	"encoding/json"
	"net/http"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drover-sched/drover/client"
	"github.com/drover-sched/drover/store"
)

// TestReview219TaskPageCancelledOutputFiledLate: a running task cancelled
// is cancelled at once, and its worker files what it printed a moment
// after (README; drover logs -f waits up to 2 s for it). The task page
// stopped refreshing at the first read saying cancelled: read in that
// moment, it showed no output for good, and said "the end of the last
// attempt's".
func TestReview219TaskPageCancelledOutputFiledLate(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (make test installs it with apt-get)")
	}
	code := -1
	now := time.Now().UTC()
	task := &store.Task{ID: "01JTASK0000000000000000CAN", Cmd: []string{"./long.sh"},
		State: store.StateCancelled, Attempt: 1, SubmittedAt: now.Add(-time.Minute), StartedAt: now.Add(-30 * time.Second), FinishedAt: now,
		Worker: "w1", ExitCode: &code, Error: "cancelled",
		History: []store.Attempt{{N: 1, Worker: "w1", StartedAt: now.Add(-30 * time.Second), FinishedAt: now, ExitCode: -1, Error: "cancelled", Cancelled: true}}}
	before, err := json.Marshal(client.TaskJSONOf(task))
	if err != nil {
		t.Fatal(err)
	}
	task.Stdout, task.History[0].StdoutBytes = "its last words\n", 15
	after, err := json.Marshal(client.TaskJSONOf(task))
	if err != nil {
		t.Fatal(err)
	}
	var reads atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/tasks/{id}", func(w http.ResponseWriter, r *http.Request) {
		if reads.Add(1) == 1 {
			_, _ = w.Write(before) // cancelled, its output not filed yet
			return
		}
		_, _ = w.Write(after)
	})
	dom := renderPage(t, chromium, mux, "/task.html?id="+task.ID)
	if !strings.Contains(dom, "its last words") {
		t.Errorf("the page of a task cancelled while it ran, read before its worker filed its output, never shows it (%d reads):\n%s", reads.Load(), dom)
	}
}
