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

// TestReview219TaskPageRunsQuotesArguments: the task page's "Runs" joined
// the command's arguments with spaces: ["sh", "-c", "echo a; exit 3"]
// showed as `sh -c echo a; exit 3`, and ["rm", "a b"] as `rm a b`, a
// command other than the one run, where drover status quotes an argument
// holding a space or a shell character (`sh -c "echo a; exit 3"`).
func TestReview219TaskPageRunsQuotesArguments(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (make test installs it with apt-get)")
	}
	task := &store.Task{ID: "01JTASK00000000000000RUNS0", Cmd: []string{"sh", "-c", "echo a; exit 3", "a b", ""},
		State: store.StateQueued, Attempt: 1, SubmittedAt: time.Now().UTC()}
	body, err := json.Marshal(client.TaskJSONOf(task))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/tasks/{id}", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(body) })
	dom := renderPage(t, chromium, mux, "/task.html?id="+task.ID)
	if want := `sh -c "echo a; exit 3" "a b" ""`; !strings.Contains(dom, strings.ReplaceAll(want, `"`, "&quot;")) && !strings.Contains(dom, want) {
		t.Errorf("the page does not show the command as %s:\n%s", want, dom)
	}
}
