package scheduler

import (
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// 3dbfc06 keeps what once says of a record (l.said) across rebuilds of the
// view, so that drover_schedule_firings_unwritable_total counts a schedule
// "once per version of its record" (README). But l.said lives in the leader
// of one term: the same scheduler, its session expired in an outage and
// elected again, counts the unchanged record again (and logs it at error
// level again), and an operator's alert on the counter's growth fires though
// nothing changed. (Found by review126.)
func TestReview126UnwritableFiringCountedOncePerVersionAcrossSessionExpiry(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	px := drovertest.StartProxy(t, drovertest.Addr())
	lst := drovertest.OpenStoreFor(t, px.Addr(), root, 4*time.Second)
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
	epoch := s.Epoch()
	px.Cut(true)
	drovertest.WaitFor(t, 30*time.Second, "s1's session expired (its election znode gone)", func() bool {
		line, err := st.Candidates()
		return err == nil && len(line) == 0
	})
	px.Cut(false)
	drovertest.WaitFor(t, 30*time.Second, "s1 leading again", func() bool { return s.Epoch() > epoch && s.IsLeader() })
	fired := readSchedule(t, st, "tick").Fired
	drovertest.WaitFor(t, 15*time.Second, "tick fired twice more in the new term", func() bool { return readSchedule(t, st, "tick").Fired >= fired+2 })
	_, after, err := st.Get(st.Layout().Schedule("edge"))
	if err != nil {
		t.Fatal(err)
	}
	if after.Version != before.Version {
		t.Fatalf("edge's record changed (version %d -> %d): the test needs it unchanged", before.Version, after.Version)
	}
	if n := s.Stats().Unwritable; n != 1 {
		t.Fatalf("drover_schedule_firings_unwritable_total = %d after s1's session expired and it led again, want 1: edge's record is at version %d throughout, "+
			"and \"slot not fired\" was logged %d times", n, after.Version, logs.count("slot not fired"))
	}
}
