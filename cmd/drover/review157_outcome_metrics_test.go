package main

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
)

// TestReview157MetricsCountFailedTasks: an operator alerts on work that
// fails. Neither a scheduler's nor a worker's /metrics tells a failed or
// dead task from one that succeeded: the worker counts attempts started
// and reported, whatever their outcome, and the leader placements and
// slots fired. After a task that fails (exit 3) and one that succeeds, no
// drover_ series has an outcome, state or exit label, nor a name saying
// failed, so "alert when tasks fail" (asynq's failed counter, Dkron's job
// status) cannot be written from Prometheus at all. Expected: a series
// counting finished attempts or tasks by outcome.
func TestReview157MetricsCountFailedTasks(t *testing.T) {
	root := newRoot()
	sp, wp := freePort(t), freePort(t)
	daemon(t, root, "scheduler", "--id", "s1", "--http", fmt.Sprintf("127.0.0.1:%d", sp))
	daemon(t, root, "worker", "--id", "w1", "--http", fmt.Sprintf("127.0.0.1:%d", wp))
	if r := drover(t, root, "submit", "--wait", "--", "sh", "-c", "exit 3"); r.code != 3 {
		t.Fatalf("submit --wait: %+v", r)
	}
	if r := drover(t, root, "submit", "--wait", "--", "true"); r.code != 0 {
		t.Fatalf("submit --wait: %+v", r)
	}
	scrape := func(port int) string {
		var body string
		drovertest.WaitFor(t, 30*time.Second, "metrics", func() bool {
			resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
			if err != nil {
				return false
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			body = string(b)
			return err == nil && resp.StatusCode == 200
		})
		return body
	}
	outcome := regexp.MustCompile(`(?m)^drover_[a-z_]*(fail|dead|outcome|state|exit)[a-z_]*(\{[^}]*\})? [1-9]|^drover_[a-z_]+\{[^}]*(outcome|state|result|exit_code)="[^"]*(fail|dead|[1-9])[^"]*"[^}]*\} [1-9]`)
	for _, port := range []int{sp, wp} {
		// drover_deadletter_* counts malformed records, not tasks.
		if m := regexp.MustCompile(`(?m)^drover_deadletter.*$`).ReplaceAllString(scrape(port), ""); outcome.MatchString(m) {
			return
		}
	}
	t.Errorf("no drover_ metric of the scheduler or the worker counts the failed task (by outcome, state or exit code)")
}
