package chaos

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/store"
)

// schedCase is a forbid schedule's record, log and tasks as a run would
// leave them, for TestScheduleChecks to spoil one way at a time.
type schedCase struct {
	s     chaosSchedule
	rec   *store.Schedule
	lines []schedRun
	tasks map[string]*store.Task
}

// t0 is the schedule's creation, half a second past 00:00:00: its slots
// (slotAt) are 00:00:01, 00:00:02 and so on.
var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(500 * time.Millisecond)

func slotAt(n int) time.Time {
	return t0.Add(-500 * time.Millisecond).Add(time.Duration(n) * time.Second)
}

// at is a time in the log, in seconds after the schedule's creation.
func at(sec float64) int64 { return t0.Add(time.Duration(sec * float64(time.Second))).UnixNano() }

// newSchedCase: slot 1 ran as A; 2 skipped (A active); 3 ran as B, whose
// attempt 1 was lost and attempt 2 succeeded; 4 ran as C; 5 ran as D; 6
// skipped (D active).
func newSchedCase() *schedCase {
	name := "forbid"
	c := &schedCase{
		s: chaosSchedule{name: name, cron: "* * * * * *", catchup: store.CatchupAll, concurrency: store.ConcurrencyForbid},
		rec: &store.Schedule{Name: name, Cron: "* * * * * *", Catchup: store.CatchupAll, Concurrency: store.ConcurrencyForbid,
			CreatedAt: t0, LastSlot: slotAt(6), KeepSucceeded: historyCap, KeepFailed: historyCap, Fired: 4,
			Succeeded: []store.ScheduleRun{
				{Slot: slotAt(1), Task: "A", State: store.StateSucceeded},
				{Slot: slotAt(3), Task: "B", State: store.StateSucceeded},
				{Slot: slotAt(4), Task: "C", State: store.StateSucceeded},
				{Slot: slotAt(5), Task: "D", State: store.StateSucceeded},
			},
			Skipped: []store.ScheduleRun{
				{Slot: slotAt(2), Reason: reasonForbid},
				{Slot: slotAt(6), Reason: reasonForbid},
			},
		},
		tasks: map[string]*store.Task{},
	}
	run := func(id string, slot, attempt int, worker string, start, end float64) {
		l := schedRun{schedule: name, slot: slotAt(slot).Unix(), task: id, attempt: attempt, worker: worker, at: at(start)}
		c.lines = append(c.lines, l)
		if end > 0 {
			l.end, l.at = true, at(end)
			c.lines = append(c.lines, l)
		}
	}
	run("A", 1, 1, "worker-1", 0.6, 2.0)
	run("B", 3, 1, "worker-1", 2.6, 0) // lost, killed
	run("B", 3, 2, "worker-2", 3.0, 3.4)
	run("C", 4, 1, "worker-3", 3.6, 3.8)
	run("D", 5, 1, "worker-1", 4.6, 6.0)
	task := func(id string, slot, attempt int, worker string, history ...store.Attempt) {
		c.tasks[id] = &store.Task{ID: id, State: store.StateSucceeded, Attempt: attempt, Worker: worker, History: history,
			Env: map[string]string{"DROVER_SCHEDULE": name, "DROVER_SLOT": fmt.Sprint(slotAt(slot).Unix())}}
	}
	task("A", 1, 1, "worker-1")
	task("B", 3, 2, "worker-2", store.Attempt{N: 1, Worker: "worker-1", Lost: true, Error: "worker lost"})
	task("C", 4, 1, "worker-3")
	task("D", 5, 1, "worker-1")
	return c
}

func (c *schedCase) check() []string {
	var errs []string
	var st schedStats
	fail := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	task := func(id string) (*store.Task, error) {
		if t, ok := c.tasks[id]; ok {
			return t, nil
		}
		return nil, errors.New("task not found")
	}
	checkSchedule(c.s, c.rec, c.lines, task, &st, fail, func(string, ...any) {})
	return errs
}

// entry returns the record's entry of slot n.
func (c *schedCase) entry(n int) *store.ScheduleRun {
	for _, list := range [][]store.ScheduleRun{c.rec.Succeeded, c.rec.Failed, c.rec.Skipped} {
		for i := range list {
			if list[i].Slot.Equal(slotAt(n)) {
				return &list[i]
			}
		}
	}
	return nil
}

// TestScheduleChecks: the schedules' checker passes a run that keeps the
// promises, and fails each way of breaking one, saying which.
func TestScheduleChecks(t *testing.T) {
	if errs := newSchedCase().check(); len(errs) > 0 {
		t.Fatalf("a sound run fails the checks:\n%s", strings.Join(errs, "\n"))
	}
	// The final pause missing the newest slots, which the leader had not
	// fired yet, is sound too.
	paused := newSchedCase()
	paused.rec.LastSlot = slotAt(8)
	paused.rec.Skipped = append(paused.rec.Skipped, store.ScheduleRun{Slot: slotAt(7), Reason: reasonPaused}, store.ScheduleRun{Slot: slotAt(8), Reason: reasonPaused})
	if errs := paused.check(); len(errs) > 0 {
		t.Fatalf("a sound run whose pause missed its newest slots fails the checks:\n%s", strings.Join(errs, "\n"))
	}
	cases := []struct {
		name, want string
		spoil      func(c *schedCase)
	}{
		{"an attempt started twice", "attempt 1 started 2 times", func(c *schedCase) { c.lines = append(c.lines, c.lines[0]) }},
		{"a slot run as two tasks", "ran as 2 tasks", func(c *schedCase) {
			l := c.lines[0]
			l.task = "X"
			c.lines = append(c.lines, l)
		}},
		{"a run of a slot the record does not name", "the schedule's record has no run of that task", func(c *schedCase) {
			c.lines = append(c.lines, schedRun{schedule: "forbid", slot: slotAt(7).Unix(), task: "Y", attempt: 1, worker: "worker-2", at: at(6.6)})
		}},
		{"a slot not in the record", "neither as run nor as skipped or missed", func(c *schedCase) { c.rec.Skipped = c.rec.Skipped[1:] }},
		{"a slot in the record twice", "is in its history twice", func(c *schedCase) {
			c.rec.Skipped = append(c.rec.Skipped, store.ScheduleRun{Slot: slotAt(2), Reason: reasonMissed})
		}},
		{"a slot off the schedule's grid", "not a slot of", func(c *schedCase) {
			c.rec.Skipped = append(c.rec.Skipped, store.ScheduleRun{Slot: slotAt(2).Add(time.Millisecond), Reason: reasonMissed})
		}},
		{"a forbid run started before the previous ended", "before the previous run", func(c *schedCase) {
			for i, l := range c.lines {
				if l.task == "C" && !l.end {
					c.lines[i].at = at(3.3) // B's attempt 2 ended at 3.4
				}
			}
		}},
		{"a second attempt without a loss", "not lost", func(c *schedCase) { c.tasks["B"].History[0].Lost = false }},
		{"an attempt run before the result's missing from its history", "has no loss of attempt 1", func(c *schedCase) {
			c.tasks["B"].History = nil
		}},
		{"a result of an attempt that ran elsewhere", "which did not run there to its end", func(c *schedCase) { c.tasks["C"].Worker = "worker-1" }},
		{"a result of an attempt older than one that ran", "but attempt 2 ran", func(c *schedCase) { c.tasks["B"].Attempt = 1 }},
		{"catch-up all missing a slot", "missed, though fewer than", func(c *schedCase) {
			*c.entry(2) = store.ScheduleRun{Slot: slotAt(2), Reason: reasonMissed}
		}},
		{"catch-up last missing its newest slot", "was missed, not run", func(c *schedCase) {
			c.rec.Catchup = store.CatchupLast
			*c.entry(6) = store.ScheduleRun{Slot: slotAt(6), Reason: reasonMissed}
		}},
		{"a forbid skip of an allow schedule", "skipped for a run still active", func(c *schedCase) {
			c.rec.Concurrency = store.ConcurrencyAllow
		}},
		{"a replace skip of a forbid schedule", "skipped as replaced by a newer slot", func(c *schedCase) {
			*c.entry(2) = store.ScheduleRun{Slot: slotAt(2), Reason: reasonReplaced}
		}},
		{"a run cancelled under forbid", "nothing cancels it", func(c *schedCase) {
			c.tasks["C"].State = store.StateCancelled
			c.entry(4).State = store.StateCancelled
		}},
		{"a run whose state differs from its history's", "its history says", func(c *schedCase) { c.entry(4).State = store.StateFailed }},
		{"a run not started by its deadline that ran", "but 1 attempts of it ran", func(c *schedCase) {
			c.s.deadline = 3 * time.Second
			*c.entry(4) = store.ScheduleRun{Slot: slotAt(4), Task: "C", Reason: reasonStartBy}
		}},
		{"a count of slots fired not the runs'", "it counts 5 slots fired", func(c *schedCase) { c.rec.Fired = 5 }},
		{"a run with another slot's DROVER_SLOT", "carries DROVER_SCHEDULE", func(c *schedCase) {
			c.tasks["D"].Env["DROVER_SLOT"] = fmt.Sprint(slotAt(4).Unix())
		}},
		{"a history list at its bound", "reached its bound", func(c *schedCase) { c.rec.KeepSucceeded = 4 }},
		{"a slot missed as paused before one handled", "missed as paused, but slot", func(c *schedCase) {
			*c.entry(2) = store.ScheduleRun{Slot: slotAt(2), Reason: reasonPaused}
		}},
		{"an entry no policy explains", "no policy explains", func(c *schedCase) {
			*c.entry(2) = store.ScheduleRun{Slot: slotAt(2), Task: "E", Reason: "gone: no result left (pruned) and no record"}
		}},
	}
	for _, tc := range cases {
		c := newSchedCase()
		tc.spoil(c)
		errs := c.check()
		found := false
		for _, e := range errs {
			found = found || strings.Contains(e, tc.want)
		}
		if !found {
			t.Errorf("%s: no error saying %q; got %q", tc.name, tc.want, errs)
		}
	}
}
