package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/worker"
)

// TestReview157WorkersShowsADashForAnUnknownVersion: a worker embedded
// without worker.Config.Version (README's Go API example, and
// examples/upper-worker, set none) says no release. README (Monitoring)
// says VERSION is "-" for a process that does not say, and `drover leader`
// shows "-" for such a scheduler; `drover workers` leaves the cell empty,
// so the table's last column is blank for that row (and a script reading
// the columns with awk sees one field fewer).
func TestReview157WorkersShowsADashForAnUnknownVersion(t *testing.T) {
	root := newRoot()
	st := openStore(t, root)
	w, err := worker.New(worker.Config{ID: "embedded", Store: st})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Handle("upper", worker.HandlerFunc(func(ctx context.Context, t *worker.Task) ([]byte, error) { return nil, nil })); err != nil {
		t.Fatal(err)
	}
	drovertest.Run(t, "worker", w.Run)
	var r result
	drovertest.WaitFor(t, 30*time.Second, "the worker listed", func() bool {
		r = drover(t, root, "workers")
		return r.code == 0 && strings.Contains(r.stdout, "embedded")
	})
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n")[1:] {
		if f := strings.Fields(line); len(f) != 8 || f[6] != "-" {
			t.Fatalf("drover workers row %q: %d columns, want 8 with VERSION \"-\" (as drover leader shows a scheduler that does not say)\n%s", line, len(f), r.stdout)
		}
	}
}
