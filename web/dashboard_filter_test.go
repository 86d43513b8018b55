package web

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/drover-sched/drover/client"
	"github.com/drover-sched/drover/drovertest"
)

// taskRows are the ids in the dashboard's task table, in order.
func taskRows(dom string) []string {
	_, table, _ := strings.Cut(dom, `<table id="tasks">`)
	table, _, _ = strings.Cut(table, "</table>")
	var ids []string
	for _, m := range regexp.MustCompile(`task\.html\?id=([0-9A-Z]{26})`).FindAllStringSubmatch(table, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

// The dashboard's task list filters by state and name and pages back
// through older tasks, its filter and page in its own query (a link to
// share): an operator finds the failed tasks of a job there, not only the
// newest 20 of all. A filter the API refuses says why, the rest live.
func TestDashboardFiltersAndPagesTasks(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (make test installs it with apt-get)")
	}
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	c := client.New(st)
	ctx := context.Background()
	specs := make([]client.TaskSpec, 25)
	for i := range specs {
		specs[i] = client.TaskSpec{Cmd: []string{"true"}, Name: fmt.Sprintf("job-%02d", i)}
	}
	specs[3].Name, specs[7].Name = "nightly-a", "nightly-b"
	res, err := c.Submit(ctx, specs)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{3, 5} { // nightly-a and job-05 cancelled
		if _, err := c.Cancel(ctx, res[i].ID); err != nil {
			t.Fatal(err)
		}
	}
	hs := apiServer(t, st)

	// The newest 20, and a link to the older ones.
	dom := dumpDOM(t, chromium, hs.URL+"/")
	rows := taskRows(dom)
	if len(rows) != 20 || rows[0] != res[24].ID || rows[19] != res[5].ID {
		t.Fatalf("the dashboard's first page: %d rows, from %v; want the newest 20, %s to %s:\n%s", len(rows), rows, res[24].ID, res[5].ID, dom)
	}
	older := regexp.MustCompile(`<a href="([^"]*)">older →</a>`).FindStringSubmatch(dom)
	if older == nil || !strings.Contains(older[1], "before="+res[5].ID) {
		t.Fatalf("the first page links no older page before %s:\n%s", res[5].ID, dom)
	}
	dom = dumpDOM(t, chromium, hs.URL+"/"+html.UnescapeString(older[1]))
	if rows := taskRows(dom); len(rows) != 5 || rows[0] != res[4].ID || !strings.Contains(dom, "← newest") || strings.Contains(dom, "older →") {
		t.Fatalf("the older page: %v; want the 5 oldest from %s, a link to the newest and none older:\n%s", rows, res[4].ID, dom)
	}

	// Cancelled tasks named nightly-*: one.
	dom = dumpDOM(t, chromium, hs.URL+"/?state=cancelled&name=nightly-*")
	if rows := taskRows(dom); len(rows) != 1 || rows[0] != res[3].ID {
		t.Fatalf("state=cancelled&name=nightly-*: %v; want %s alone:\n%s", rows, res[3].ID, dom)
	}
	if !strings.Contains(dom, `<option value="cancelled" selected`) && !strings.Contains(dom, "matching the filter") {
		t.Fatalf("the filtered page does not say it is filtered:\n%s", dom)
	}

	// A glob that does not parse: the list says so, the cluster stays live.
	dom = dumpDOM(t, chromium, hs.URL+"/?name=%5B")
	if rows := taskRows(dom); len(rows) != 0 || !strings.Contains(dom, "filter refused:") || !strings.Contains(dom, "live · updated") {
		t.Fatalf("name=[: %v; want no rows, the filter refused, the page live:\n%s", rows, dom)
	}
}

// A filter matching none of the records a page reads (1,000 for 20, the
// newest) says it stopped there, and how to read them all.
func TestDashboardFilterSaysWhenItStoppedReading(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (make test installs it with apt-get)")
	}
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	c := client.New(st)
	if _, err := c.Submit(context.Background(), []client.TaskSpec{{Cmd: []string{"true"}, Name: "nightly-report"}}); err != nil {
		t.Fatal(err)
	}
	specs := make([]client.TaskSpec, 1100)
	for i := range specs {
		specs[i] = client.TaskSpec{Cmd: []string{"true"}, Name: "other"}
	}
	if _, err := c.Submit(context.Background(), specs); err != nil {
		t.Fatal(err)
	}
	dom := dumpDOM(t, chromium, apiServer(t, st).URL+"/?name=nightly-*")
	if rows := taskRows(dom); len(rows) != 0 || !strings.Contains(dom, "stopped after reading 1000 task records") || !strings.Contains(dom, "--scan 0") {
		t.Fatalf("a filter past the records a page reads: %v; want none shown and a note that it stopped reading:\n%s", rows, dom)
	}
}

// stubAPI answers the dashboard's three reads: cluster and schedules as
// given, and an empty task list, whose queries it records in asked.
func stubAPI(cluster, schedules string, mu *sync.Mutex, asked *[]string) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/cluster", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, cluster) })
	mux.HandleFunc("GET /api/v1/schedules", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, schedules) })
	mux.HandleFunc("GET /api/v1/tasks", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		*asked = append(*asked, r.URL.RawQuery)
		mu.Unlock()
		_, _ = io.WriteString(w, "[]")
	})
	return mux
}

// A worker's id and a schedule's name link to their tasks (the API's
// worker and schedule filters, as ls --worker and --schedule); the list
// says whose tasks it shows and links back to all.
func TestDashboardLinksWorkersAndSchedulesToTheirTasks(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (make test installs it with apt-get)")
	}
	var mu sync.Mutex
	var asked []string
	dom := renderPage(t, chromium, stubAPI(`{"leader":{"id":"s1","host":"h","pid":7,"epoch":3},"served_by":"leader","served_by_id":"s1",`+
		`"workers":[{"id":"w<1>","host":"h","capacity":2}],"stats":{"leader":true,"view_ready":true,"queued":{}}}`,
		`[{"name":"nightly","cron":"@daily","fired":1}]`, &mu, &asked), "/")
	for _, want := range []string{`<a class="mono" href="?worker=w%3C1%3E">w&lt;1&gt;</a>`, `<a href="?schedule=nightly">nightly</a>`} {
		if !strings.Contains(dom, want) {
			t.Fatalf("the dashboard lacks the link %s:\n%s", want, dom)
		}
	}
	mu.Lock()
	asked = nil
	mu.Unlock()
	dom = renderPage(t, chromium, stubAPI(`{"served_by":"leader","served_by_id":"s1","workers":[],"stats":{"leader":true,"view_ready":true,"queued":{}}}`,
		"[]", &mu, &asked), "/?worker=w%3C1%3E&state=failed,dead")
	mu.Lock()
	defer mu.Unlock()
	if len(asked) == 0 || !strings.Contains(asked[0], "worker=w%3C1%3E") || !strings.Contains(asked[0], "state=failed%2Cdead") {
		t.Fatalf("a worker's task list asked the API %q; want worker and state passed on", asked)
	}
	if !strings.Contains(dom, "placed on worker w&lt;1&gt; matching the filter") || !strings.Contains(dom, `<a href="?state=failed%2Cdead">all tasks</a>`) {
		t.Fatalf("a worker's task list does not say whose it is, or lacks the way back:\n%s", dom)
	}
}
