package scheduler

import (
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// drover_schedule_firings_unwritable_total (Stats().Unwritable) is
// documented as counted "once per version of its record": an operator
// alerts when it grows. The once-per-version mark lives in the view's
// cronEntry, and a rebuild of the view (after any lost connection to
// ZooKeeper: a server restart, a network blip, well within the session)
// makes every entry anew: the same schedule, at the same version, is
// counted (and logged at error level) again. Every blip makes the counter
// grow and the alert fire, though nothing changed. (Found by review123.)
func TestUnwritableFiringCountedOncePerVersionAcrossAViewRebuild(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	px := drovertest.StartProxy(t, drovertest.Addr())
	// A session long enough to outlive the cut: the term goes on, only
	// its view is rebuilt.
	lst := drovertest.OpenStoreFor(t, px.Addr(), root, 20*time.Second)
	running := submit(t, st, 30, nil) // queued: no worker takes them
	rec := &store.Schedule{Name: "edge", Cron: "* * * * * *", Catchup: store.CatchupNone, Concurrency: store.ConcurrencyAllow,
		CreatedAt: time.Now().UTC(), KeepSucceeded: 10, KeepFailed: 10, Task: store.Task{Cmd: []string{"true"}},
		Active: drovertest.HandWrittenRuns(running...)}
	drovertest.PadToFiringBound(t, rec, 10)
	if err := st.AddSchedule(rec); err != nil {
		t.Fatal(err)
	}
	addSchedule(t, st, &store.Schedule{Name: "tick", Cron: "* * * * * *"})
	_, before, err := st.Get(st.Layout().Schedule("edge"))
	if err != nil {
		t.Fatal(err)
	}
	var logs lockedLog
	s, _ := runScheduler(t, lst, "s1", func(c *Config) { c.Log = zerolog.New(&logs) })
	drovertest.WaitFor(t, 15*time.Second, "edge counted unwritable, and tick fired since", func() bool {
		return s.Stats().Unwritable == 1 && readSchedule(t, st, "tick").Fired >= 2
	})
	// A blip: the connection drops, the leader's next write fails with it
	// and the view is rebuilt once it is back, on the same session.
	// (Cut while a firing of tick is in flight: a leader merely
	// disconnected waits, and a write lost under it has the view rebuilt.)
	px.FreezeAt([]byte(st.Layout().Schedule("tick")))
	drovertest.WaitFor(t, 15*time.Second, "a request naming tick sent", px.Frozen)
	px.Cut(true)
	drovertest.WaitFor(t, 15*time.Second, "the leader to notice the lost connection", func() bool { return logs.has("rebuilding view") })
	px.Cut(false)
	drovertest.WaitFor(t, 20*time.Second, "the view rebuilt and tick firing again", func() bool {
		return logs.count("view rebuilt") >= 2 && s.IsLeader() && readSchedule(t, st, "tick").Fired >= 5
	})
	fired := readSchedule(t, st, "tick").Fired
	drovertest.WaitFor(t, 10*time.Second, "tick fired twice more after the rebuild", func() bool { return readSchedule(t, st, "tick").Fired >= fired+2 })
	_, after, err := st.Get(st.Layout().Schedule("edge"))
	if err != nil {
		t.Fatal(err)
	}
	if after.Version != before.Version {
		t.Fatalf("edge's record changed (version %d -> %d): the test needs it unchanged", before.Version, after.Version)
	}
	if n := s.Stats().Unwritable; n != 1 {
		t.Fatalf("drover_schedule_firings_unwritable_total = %d after one rebuild of the view, want 1: edge's record is at version %d throughout, "+
			"and \"slot not fired\" was logged %d times", n, after.Version, logs.count("slot not fired"))
	}
}
