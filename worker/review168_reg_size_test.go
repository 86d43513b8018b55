package worker

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// CheckConfig is "New's checks that need no ZooKeeper (id, labels, ...), so
// a command line can be refused before connecting", and New accepts what
// it accepts. But nothing bounds the registration the worker then writes:
// labels (--label, repeatable, or a config file) and Go handlers (Handle)
// are each checked alone, never together, and a registration past
// store.MaxRecordSize cannot be encoded. Such a worker is accepted, and
// Run never registers and never returns: register fails with ErrTooLarge,
// and Run takes it for a passing failure ("worker stopped serving;
// registering again") and tries again every 5 s for ever; drover worker
// runs on, logging a warning every 5 s, and runs nothing. Labels of
// valid names (at most MaxNameLen bytes each) are enough: a few thousand
// of them, or a few hundred when the names hold characters JSON writes as
// six bytes (<, >, &).
func TestReview168ConfigAcceptedWhoseRegistrationCannotBeWritten(t *testing.T) {
	labels := map[string]string{}
	long := strings.Repeat("<", store.MaxNameLen-8)
	for i := range 700 {
		labels[fmt.Sprintf("k%04d%s", i, long)] = long
	}
	cfg := Config{ID: "w1", Commands: true, Labels: labels, Capacity: 4}
	if err := CheckConfig(cfg); err != nil {
		return // refused before connecting: what CheckConfig is for
	}
	info := store.WorkerInfo{ID: cfg.ID, Capacity: cfg.Capacity, Labels: cfg.Labels, EnvRule: true}
	if _, err := store.Encode(&info); err != nil {
		t.Fatalf("CheckConfig (and so New) accepts a worker with %d labels, but its registration cannot be written, so Run never registers and retries for ever: %v",
			len(labels), err)
	}
}

// TestRunReturnsWhenItsRegistrationCannotBeWritten: handlers are not in
// CheckConfig's bounds (Handle adds them), and a registration with enough
// of them does not fit a record. Run tried again every few seconds for
// ever, registering never; it now returns the error.
func TestRunReturnsWhenItsRegistrationCannotBeWritten(t *testing.T) {
	st := drovertest.OpenStore(t, drovertest.NewRoot())
	w, err := New(Config{ID: "w1", Store: st, Capacity: 1, Log: drovertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("<", store.MaxNameLen-8)
	for i := range 1500 {
		if err := w.Handle(fmt.Sprintf("h%04d%s", i, long), HandlerFunc(func(context.Context, *Task) ([]byte, error) { return nil, nil })); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
	defer cancel()
	err = w.Run(ctx)
	if err == nil || !strings.Contains(err.Error(), "too large") {
		t.Fatalf("Run of a worker whose registration cannot be written: %v (deadline: %v); want it to end with the record's error", err, ctx.Err())
	}
}
