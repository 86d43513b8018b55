package web

import (
	"context"
	"encoding/json"
	"net/http"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drover-sched/drover/client"
	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// The dashboard's task page renders a task's API record: its fields, the
// tasks it runs after as links to their pages, its output as text (markup
// in it shown, not run), and its earlier attempts; the dashboard's list
// links each task to it.
func TestTaskPageRendersTheTask(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (make test installs it with apt-get)")
	}
	code := 3
	now := time.Now().UTC()
	task := &store.Task{ID: "01JTASK0000000000000000000", Name: "nightly <report>", Cmd: []string{"./report.sh", "--full"}, Retries: 2,
		State: store.StateFailed, Attempt: 2, SubmittedAt: now.Add(-time.Minute), StartedAt: now.Add(-30 * time.Second), FinishedAt: now,
		After: []string{"01JDEP00000000000000000000"}, ExitCode: &code, Error: "exit status 3",
		Stdout: "<script>alert(1)</script>done\n", Stderr: "oops\n",
		History: []store.Attempt{{N: 1, Worker: "w1", StartedAt: now.Add(-50 * time.Second), FinishedAt: now.Add(-40 * time.Second), ExitCode: 3, Error: "exit status 3"}},
		Env:     map[string]string{"DB_PASSWORD": "hunter2", "A": "1"}, Payload: []byte("12345")}
	body, err := json.Marshal(viewTask(task)) // as the API answers: redacted
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/tasks/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") != task.ID {
			http.Error(w, `{"error":"no such task"}`, http.StatusNotFound)
			return
		}
		_, _ = w.Write(body)
	})
	dom := renderPage(t, chromium, mux, "/task.html?id="+task.ID)
	for _, want := range []string{
		"nightly &lt;report&gt;", `<span class="failed">failed</span>`, "./report.sh --full", "exit status 3",
		`href="task.html?id=01JDEP00000000000000000000"`, "&lt;script&gt;alert(1)&lt;/script&gt;done", "oops", "<td>w1</td>", "ended · read",
		"<th>Env</th><td><span class=\"mono\">A, DB_PASSWORD</span>", "<th>Payload</th><td>5 bytes</td>",
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("the task page lacks %q:\n%s", want, dom)
		}
	}
	if strings.Contains(dom, "hunter2") {
		t.Fatalf("the task page shows an env value:\n%s", dom)
	}
	if strings.Contains(dom, "<script>alert(1)") {
		t.Fatalf("the task's output was rendered as markup:\n%s", dom)
	}
	// A task the API does not know (a typo, pruned) is said so, and not
	// asked for again every 2 s for as long as the page is open.
	var asked atomic.Int32
	unknown := http.NewServeMux()
	unknown.HandleFunc("GET /api/v1/tasks/{id}", func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		http.Error(w, `{"error":"no such task"}`, http.StatusNotFound)
	})
	if dom := renderPage(t, chromium, unknown, "/task.html?id=01JNONE0000000000000000000"); !strings.Contains(dom, "error: 404") || !strings.Contains(dom, "not read again") {
		t.Errorf("the page of a task the API does not know does not say so:\n%s", dom)
	}
	if n := asked.Load(); n != 1 {
		t.Errorf("the page of a task the API does not know asked for it %d times in 8 s; want once", n)
	}
}

// Against a scheduler's own server: the page is served with the API, and
// a queued task shows as queued, refreshed (live), with the list's link.
func TestTaskPageOfAQueuedTask(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (make test installs it with apt-get)")
	}
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	res, err := client.New(st).Submit(context.Background(), []client.TaskSpec{{Cmd: []string{"echo", "hi"}, Name: "queued-one"}})
	if err != nil {
		t.Fatal(err)
	}
	hs := apiServer(t, st)
	dom := dumpDOM(t, chromium, hs.URL+"/task.html?id="+res[0].ID)
	for _, want := range []string{"queued-one", `<span class="queued">queued</span>`, "echo hi", "live · updated"} {
		if !strings.Contains(dom, want) {
			t.Errorf("the page of a queued task lacks %q:\n%s", want, dom)
		}
	}
	if dom := dumpDOM(t, chromium, hs.URL+"/"); !strings.Contains(dom, `href="task.html?id=`+res[0].ID+`"`) {
		t.Errorf("the dashboard's list does not link the task's page:\n%s", dom)
	}
}
