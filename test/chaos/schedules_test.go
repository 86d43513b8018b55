package chaos

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/client"
	"github.com/drover-sched/drover/scheduler"
	"github.com/drover-sched/drover/store"
)

// The chaos suite's cron schedules: a handful fire every second or two while
// the faults run, each slot's task recording its start and end in a log of
// its own (schedules.log). Once the faults are over and each schedule has
// handled its slots up to then, they are paused (their last slot is final)
// and their runs waited for; the checker then holds their records and that
// log to README's "Schedules" and design promise 4:
//
//   - a slot creates its task exactly once: one task per slot, each attempt
//     of it run once, on one worker; a second attempt only after the first
//     was lost (execution is at-least-once; the tasks never fail);
//   - every slot from the schedule's creation to its last slot handled is
//     in its record exactly once: run, or skipped or missed as its catch-up
//     and concurrency policies and starting deadline allow, and no other
//     way (catch-up all: each slot runs but when more than MaxCatchup came
//     due at once; last: a missed slot is always followed by the one run
//     in its place);
//   - forbid: no run of a slot started before the previous run's attempt
//     that produced its result had ended;
//   - replace: a slot skipped as "replaced by a newer slot due with it" is
//     followed by the slot that replaced it, and a run cancelled by its
//     successor has a successor;
//   - a starting deadline's slot ended "not started by its starting
//     deadline" never ran;
//   - the record's count of slots fired is its number of runs.

// chaosSchedule is one schedule the suite adds: its policies and how long
// its command works (a forbid or replace schedule's runs outlast its
// interval, so that the policy acts).
type chaosSchedule struct {
	name, cron, catchup, concurrency string
	deadline                         time.Duration
	work                             time.Duration
}

func chaosSchedules() []chaosSchedule {
	return []chaosSchedule{
		{name: "every-all-allow", cron: "* * * * * *", catchup: store.CatchupAll, concurrency: store.ConcurrencyAllow, work: 200 * time.Millisecond},
		{name: "every-none-allow", cron: "* * * * * *", catchup: store.CatchupNone, concurrency: store.ConcurrencyAllow, work: 200 * time.Millisecond},
		{name: "every-last-forbid", cron: "* * * * * *", catchup: store.CatchupLast, concurrency: store.ConcurrencyForbid, work: 1500 * time.Millisecond},
		{name: "two-all-forbid", cron: "*/2 * * * * *", catchup: store.CatchupAll, concurrency: store.ConcurrencyForbid, work: 2500 * time.Millisecond},
		{name: "two-all-replace", cron: "*/2 * * * * *", catchup: store.CatchupAll, concurrency: store.ConcurrencyReplace, work: 2500 * time.Millisecond},
		{name: "two-all-deadline", cron: "*/2 * * * * *", catchup: store.CatchupAll, concurrency: store.ConcurrencyAllow, deadline: 3 * time.Second, work: 200 * time.Millisecond},
	}
}

// historyCap is each history list's bound the suite asks for (the most
// allowed): the checker needs every slot of the run in the record.
const historyCap = 1000

// addSchedules adds the suite's schedules; their slot tasks append
// "start|end SCHEDULE SLOT TASK ATTEMPT WORKER UNIXNANO" lines to log.
func addSchedules(t *testing.T, c *cluster, log string) []chaosSchedule {
	t.Helper()
	scheds := chaosSchedules()
	for _, s := range scheds {
		if _, err := c.client.AddSchedule(context.Background(), s.spec(log, 0)); err != nil {
			t.Fatalf("add schedule %s: %v", s.name, err)
		}
	}
	return scheds
}

// spec is the schedule's spec, its task logging to log; edition n > 0 is
// an update of its template that changes nothing the checks read (the
// command ends with ": n").
func (s chaosSchedule) spec(log string, n int) client.ScheduleSpec {
	line := "$DROVER_SCHEDULE $DROVER_SLOT $DROVER_TASK_ID $DROVER_ATTEMPT $DROVER_WORKER_ID $(date +%s%N)"
	cmd := fmt.Sprintf(`echo "start %s" >> %s; sleep %d.%03d; echo "end %s" >> %s`,
		line, log, s.work/time.Second, s.work%time.Second/time.Millisecond, line, log)
	if n > 0 {
		cmd += fmt.Sprintf("; : %d", n)
	}
	return client.ScheduleSpec{
		Name: s.name, Cron: s.cron, Catchup: s.catchup, Concurrency: s.concurrency, StartingDeadline: s.deadline,
		KeepSucceeded: historyCap, KeepFailed: historyCap,
		Task: client.TaskSpec{Shell: true, Cmd: []string{cmd}, Priority: "high"},
	}
}

// churnScheduleUpdates updates one schedule's template at a time, every one
// to three seconds, while the faults run (schedule add --update): each is a
// client's write of the record racing the leader's firings, through
// takeovers; the checks then find every slot fired once all the same. It
// returns how many updates landed.
func churnScheduleUpdates(ctx context.Context, t *testing.T, c *cluster, scheds []chaosSchedule, log string, rng *rand.Rand) int {
	updated := 0
	for n := 1; ctx.Err() == nil; n++ {
		s := scheds[rng.IntN(len(scheds))]
		if _, changed, err := c.client.UpdateSchedule(context.Background(), s.spec(log, n)); err != nil {
			t.Logf("%v", err) // ZooKeeper away, say: the fault's
		} else if changed {
			updated++
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(1000+rng.IntN(2000)) * time.Millisecond):
		}
	}
	return updated
}

// pauseSchedules waits until each schedule has handled its slots up to now
// (the faults' end: the slots of the last outage caught up, missed or
// skipped as its policies say), then stops it firing: its last slot is
// final from then on, and every slot up to it is in its record. Both try
// again while ZooKeeper recovers.
func pauseSchedules(t *testing.T, c *cluster, scheds []chaosSchedule) {
	t.Helper()
	until := time.Now() // the leader plans on this host's clock too
	deadline := time.Now().Add(4*c.session + time.Minute)
	for _, s := range scheds {
		for {
			rec, err := readScheduleRecord(c, s.name)
			if err == nil {
				spec, _, err := scheduler.ReadSpec(rec.Cron, rec.TZ)
				if err != nil {
					t.Fatalf("schedule %s: %v", s.name, err)
				}
				from := rec.LastSlot
				if from.IsZero() {
					from = rec.CreatedAt
				}
				if spec.Next(from).After(until) {
					break
				}
			}
			if time.Now().After(deadline) {
				t.Errorf("schedule %s: its slots up to the faults' end, %v, not handled by %v (%v)", s.name, until, deadline, err)
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	for _, s := range scheds {
		for {
			_, err := c.client.PauseSchedule(context.Background(), s.name)
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("pause schedule %s: %v", s.name, err)
			}
			t.Logf("pause schedule %s: %v (retrying)", s.name, err)
			time.Sleep(200 * time.Millisecond)
		}
	}
}

// readScheduleRecord reads a schedule's record as stored.
func readScheduleRecord(c *cluster, name string) (*store.Schedule, error) {
	data, _, err := c.st.Get(c.st.Layout().Schedule(name))
	if err != nil {
		return nil, err
	}
	return store.DecodeSchedule(data)
}

// schedRun is one line of the schedules' log.
type schedRun struct {
	end      bool
	schedule string
	slot     int64
	task     string
	attempt  int
	worker   string
	at       int64 // Unix nanoseconds, the workers' (this host's) clock
}

func readSchedRuns(t *testing.T, path string) []schedRun {
	t.Helper()
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil // no slot ran at all: the checks say what is missing
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []schedRun
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fl := strings.Fields(sc.Text())
		if len(fl) != 7 || (fl[0] != "start" && fl[0] != "end") {
			t.Errorf("schedules' log: a torn line %q", sc.Text())
			continue
		}
		slot, err1 := strconv.ParseInt(fl[2], 10, 64)
		attempt, err2 := strconv.Atoi(fl[4])
		at, err3 := strconv.ParseInt(fl[6], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil {
			t.Errorf("schedules' log: a line that does not parse %q", sc.Text())
			continue
		}
		out = append(out, schedRun{end: fl[0] == "end", schedule: fl[1], slot: slot, task: fl[3], attempt: attempt, worker: fl[5], at: at})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// attemptRuns are the log's lines of one attempt of a slot's task.
type attemptRuns struct {
	starts, ends []schedRun
}

// firstStart is the earliest start of a task's attempts in the log (0 if none).
func firstStart(by map[int]*attemptRuns) int64 {
	first := int64(0)
	for _, a := range by {
		for _, l := range a.starts {
			if first == 0 || l.at < first {
				first = l.at
			}
		}
	}
	return first
}

// schedStats are the counts of the summary line.
type schedStats struct {
	slots, ran, missed, skipped, replaced, notStarted, rerun, zombies, errors int
}

// checkSchedules waits for the paused schedules' last runs to end, then
// checks their records and the log against the promised semantics.
func checkSchedules(ctx context.Context, t *testing.T, c *cluster, scheds []chaosSchedule, log string) schedStats {
	t.Helper()
	var st schedStats
	fail := func(format string, args ...any) {
		t.Helper()
		st.errors++
		if st.errors <= 40 {
			t.Errorf(format, args...)
		}
	}
	// Every run ended first, then the log is read whole.
	recs := make([]*store.Schedule, len(scheds))
	for i, s := range scheds {
		recs[i] = finalSchedule(ctx, t, c, s.name)
	}
	bySched := map[string][]schedRun{}
	for _, l := range readSchedRuns(t, log) {
		bySched[l.schedule] = append(bySched[l.schedule], l)
	}
	for i, s := range scheds {
		if recs[i] == nil {
			st.errors++
			continue
		}
		// Every run has ended: a wait for one is a read of its result.
		task := func(id string) (*store.Task, error) { return c.client.Wait(ctx, id) }
		checkSchedule(s, recs[i], bySched[s.name], task, &st, fail, t.Logf)
		delete(bySched, s.name)
	}
	for name, ls := range bySched {
		fail("the schedules' log has %d lines of %q, a schedule the suite did not add", len(ls), name)
	}
	if st.errors > 40 {
		t.Errorf("%d schedule errors in all (the first 40 shown)", st.errors)
	}
	return st
}

// finalSchedule reads a paused schedule once none of its runs is active, its
// history brought up to date.
func finalSchedule(ctx context.Context, t *testing.T, c *cluster, name string) *store.Schedule {
	t.Helper()
	checked := false // that it is paused, once
	for {
		info, err := c.client.Schedule(ctx, name)
		if err != nil {
			if ctx.Err() != nil {
				t.Errorf("schedule %s: %v", name, err)
				return nil
			}
			t.Logf("schedule %s: %v (retrying)", name, err)
			time.Sleep(200 * time.Millisecond)
			continue
		}
		rec := info.Schedule
		if !rec.Suspended && !checked {
			t.Errorf("schedule %s: not paused after its pause", name)
		}
		checked = true
		if len(rec.Active) == 0 {
			return rec
		}
		for _, r := range rec.Active {
			if _, err := c.client.Wait(ctx, r.Task); err != nil {
				t.Errorf("schedule %s: its run of slot %v, task %s: %v", name, r.Slot, r.Task, err)
				return nil
			}
		}
	}
}

// The reasons a schedule's history gives a slot that did not run (see
// scheduler's build and RefreshRuns).
const (
	reasonMissed   = "missed"
	reasonForbid   = "skipped: previous run still active"
	reasonReplaced = "skipped: replaced by a newer slot due with it"
	reasonStartBy  = "missed: " + store.NotStartedInTime
	reasonPaused   = client.MissedPaused
)

// checkSchedule checks one paused schedule, none of its runs active: its
// record, the log's lines of its slots' tasks and the tasks' results (task
// reads one). It says what is wrong with fail, and what it saw with logf.
func checkSchedule(s chaosSchedule, rec *store.Schedule, lines []schedRun, task func(id string) (*store.Task, error),
	st *schedStats, fail func(string, ...any), logf func(string, ...any)) {
	name := s.name
	// The history must hold every slot: none dropped for its bound.
	if len(rec.Succeeded) >= rec.KeepSucceeded || len(rec.Failed) >= rec.KeepFailed || len(rec.Skipped) >= max(rec.KeepFailed, 10) {
		fail("schedule %s: a history list reached its bound (%d succeeded, %d failed, %d skipped of %d): slots may have been dropped, the check cannot account for them (a shorter run or a slower schedule)",
			name, len(rec.Succeeded), len(rec.Failed), len(rec.Skipped), historyCap)
	}
	spec, _, err := scheduler.ReadSpec(rec.Cron, rec.TZ)
	if err != nil {
		fail("schedule %s: spec %q: %v", name, rec.Cron, err)
		return
	}
	// The window: every slot from the creation to the last slot handled.
	var grid []time.Time
	index := map[int64]int{}
	if !rec.LastSlot.IsZero() {
		for at := spec.Next(rec.CreatedAt); !at.After(rec.LastSlot); at = spec.Next(at) {
			index[at.Unix()] = len(grid)
			grid = append(grid, at)
		}
	}
	st.slots += len(grid)
	if len(grid) == 0 {
		fail("schedule %s: no slot handled from its creation at %v to its pause (last slot %v)", name, rec.CreatedAt, rec.LastSlot)
		return
	}
	// Each slot's one entry in the record.
	entries := make([]*store.ScheduleRun, len(grid))
	taskSlot := map[string]int64{} // task id -> slot (Unix)
	fired := 0
	for _, list := range [][]store.ScheduleRun{rec.Succeeded, rec.Failed, rec.Skipped} {
		for i := range list {
			r := &list[i]
			k, ok := index[r.Slot.Unix()]
			if !ok || !r.Slot.Equal(grid[k]) {
				fail("schedule %s: its history has slot %v (task %q, %q), not a slot of %q from %v to %v", name, r.Slot, r.Task, r.Reason, rec.Cron, rec.CreatedAt, rec.LastSlot)
				continue
			}
			if e := entries[k]; e != nil {
				fail("schedule %s: slot %v is in its history twice: task %q %s %q, and task %q %s %q", name, r.Slot, e.Task, e.State, e.Reason, r.Task, r.State, r.Reason)
				continue
			}
			entries[k] = r
			if r.Task != "" {
				fired++
				if other, ok := taskSlot[r.Task]; ok {
					fail("schedule %s: task %s is the run of slots %d and %d", name, r.Task, other, r.Slot.Unix())
				}
				taskSlot[r.Task] = r.Slot.Unix()
			}
		}
	}
	if int64(fired) != rec.Fired {
		fail("schedule %s: it counts %d slots fired, its history has %d runs", name, rec.Fired, fired)
	}

	// The log, by task and attempt.
	byTask := map[string]map[int]*attemptRuns{}
	slotTasks := map[int64]map[string]bool{}
	for _, l := range lines {
		if slotTasks[l.slot] == nil {
			slotTasks[l.slot] = map[string]bool{}
		}
		slotTasks[l.slot][l.task] = true
		if byTask[l.task] == nil {
			byTask[l.task] = map[int]*attemptRuns{}
		}
		a := byTask[l.task][l.attempt]
		if a == nil {
			a = &attemptRuns{}
			byTask[l.task][l.attempt] = a
		}
		if l.end {
			a.ends = append(a.ends, l)
		} else {
			a.starts = append(a.starts, l)
		}
	}
	for slot, tasks := range slotTasks {
		if len(tasks) > 1 {
			fail("schedule %s: slot %v ran as %d tasks: %v", name, time.Unix(slot, 0).UTC(), len(tasks), slices.Sorted(maps.Keys(tasks)))
		}
		for id := range tasks {
			switch want, ok := taskSlot[id]; {
			case !ok:
				fail("schedule %s: task %s ran for slot %v, but the schedule's record has no run of that task (its slot %v: %s)",
					name, id, time.Unix(slot, 0).UTC(), time.Unix(slot, 0).UTC(), describeEntry(entries, index, slot))
			case want != slot:
				fail("schedule %s: task %s ran with DROVER_SLOT %d, but it is the run of slot %d", name, id, slot, want)
			}
		}
	}

	// Each slot: what its entry says, held to the policies and the log.
	type runEnd struct {
		slot  int
		final int64 // when the attempt that made the result ended
		task  *store.Task
	}
	var runs []runEnd
	// handled ends the slots the leader handled: the final pause's entries
	// after them (slots due, not yet fired) are none of its firings, and
	// must not pass for the slots that came after a firing's misses.
	handled := len(entries)
	for handled > 0 && entries[handled-1] != nil && entries[handled-1].Task == "" && entries[handled-1].Reason == reasonPaused {
		handled--
	}
	for k, e := range entries {
		slot := grid[k]
		if e == nil {
			fail("schedule %s (catch-up %s, concurrency %s): slot %v is in its record neither as run nor as skipped or missed", name, rec.Catchup, rec.Concurrency, slot)
			continue
		}
		switch {
		case e.Task == "" && e.Reason == reasonMissed:
			st.missed++
			switch {
			case rec.Catchup == store.CatchupAll && s.deadline == 0:
				// Only the oldest of more than MaxCatchup slots due at
				// once are missed: the MaxCatchup after it all fired.
				for j := k + 1; j <= k+scheduler.MaxCatchup; j++ {
					if j >= handled || entries[j] == nil || entries[j].Reason == reasonMissed {
						fail("schedule %s (catch-up all): slot %v missed, though fewer than %d slots came due with it", name, slot, scheduler.MaxCatchup+1)
						break
					}
				}
			case rec.Catchup == store.CatchupLast && s.deadline == 0:
				// The newest slot due runs (or, forbid, is skipped for
				// a run still active): a run of missed slots ends at one.
				if k+1 == handled {
					fail("schedule %s (catch-up last): its last slot handled, %v, was missed, not run", name, slot)
				}
			}
		case e.Task == "" && e.Reason == reasonPaused:
			// The final pause's: slots due after the faults' end that the
			// leader had not fired yet. Nothing after them was handled.
			st.missed++
			if j := slices.IndexFunc(entries[k+1:], func(p *store.ScheduleRun) bool { return p == nil || p.Reason != reasonPaused }); j >= 0 {
				fail("schedule %s: slot %v missed as paused, but slot %v after it was handled otherwise: %s", name, slot, grid[k+1+j], describeEntry(entries, index, grid[k+1+j].Unix()))
			}
		case e.Task == "" && e.Reason == reasonForbid:
			st.skipped++
			if rec.Concurrency != store.ConcurrencyForbid {
				fail("schedule %s (concurrency %s): slot %v skipped for a run still active", name, rec.Concurrency, slot)
			}
			if !slices.ContainsFunc(entries[:k], func(p *store.ScheduleRun) bool { return p != nil && p.Task != "" }) {
				fail("schedule %s: slot %v skipped for a run still active, but no slot before it ran", name, slot)
			}
		case e.Task == "" && e.Reason == reasonReplaced:
			st.replaced++
			if rec.Concurrency != store.ConcurrencyReplace {
				fail("schedule %s (concurrency %s): slot %v skipped as replaced by a newer slot", name, rec.Concurrency, slot)
			}
			// The newest of the slots due together ran.
			j := k + 1
			for j < len(entries) && entries[j] != nil && entries[j].Task == "" && entries[j].Reason == reasonReplaced {
				j++
			}
			if j == len(entries) || entries[j] == nil || entries[j].Task == "" {
				fail("schedule %s: slot %v skipped as replaced by a newer slot due with it, but the slots after it did not run", name, slot)
			}
		case e.Task != "" && e.Reason == reasonStartBy:
			st.notStarted++
			if s.deadline == 0 {
				fail("schedule %s: slot %v (task %s) missed its starting deadline, but the schedule has none", name, slot, e.Task)
			}
			if n := len(byTask[e.Task]); n > 0 {
				fail("schedule %s: slot %v's task %s ended %q, but %d attempts of it ran", name, slot, e.Task, store.NotStartedInTime, n)
			}
			r, err := task(e.Task)
			if err != nil {
				fail("schedule %s: slot %v's task %s: %v", name, slot, e.Task, err)
			} else if r.State != store.StateCancelled || r.Error != store.NotStartedInTime || r.Unstarted() != len(r.History) {
				// Attempts placed and never started (a worker lost or
				// drained first) leave the deadline binding: none else.
				fail("schedule %s: slot %v's task %s is filed as not started by its deadline, but it is %s (%q, %d attempts, %d never started)",
					name, slot, e.Task, r.State, r.Error, len(r.History), r.Unstarted())
			}
		case e.Task != "" && (e.Reason == "" || e.Reason == store.ReasonReplaced):
			// A run; one a replace slot cancelled is filed with the
			// skipped slots, noted store.ReasonReplaced (an older leader
			// filed it with the failures, unnoted).
			st.ran++
			r, err := task(e.Task)
			if err != nil {
				fail("schedule %s: slot %v's task %s: %v", name, slot, e.Task, err)
				continue
			}
			if r.State != e.State {
				fail("schedule %s: slot %v's task %s is %s, its history says %s", name, slot, e.Task, r.State, e.State)
			}
			if r.Env["DROVER_SLOT"] != strconv.FormatInt(slot.Unix(), 10) || r.Env["DROVER_SCHEDULE"] != name {
				fail("schedule %s: slot %v's task %s carries DROVER_SCHEDULE %q, DROVER_SLOT %q", name, slot, e.Task, r.Env["DROVER_SCHEDULE"], r.Env["DROVER_SLOT"])
			}
			switch {
			case r.State == store.StateSucceeded:
			case r.State == store.StateCancelled && rec.Concurrency == store.ConcurrencyReplace:
				// Replaced: a later slot ran in its place.
				if !slices.ContainsFunc(entries[k+1:], func(p *store.ScheduleRun) bool {
					return p != nil && p.Task != "" && (p.Reason == "" || p.Reason == store.ReasonReplaced)
				}) {
					fail("schedule %s: slot %v's task %s was cancelled, but no later slot ran to replace it", name, slot, e.Task)
				}
			default:
				fail("schedule %s (concurrency %s): slot %v's task %s ended %s (%s), but its command cannot fail and nothing cancels it", name, rec.Concurrency, slot, e.Task, r.State, r.Error)
			}
			if r.Attempt > 1 {
				st.rerun++
			}
			// Attempts before the result's were lost with their workers
			// (the command never fails), or never started (handed back by
			// a drain, or their worker lost first): that alone runs a slot
			// again.
			for _, h := range r.History {
				if h.N < r.Attempt && !h.Lost && !h.Unstarted {
					fail("schedule %s: slot %v's task %s: attempt %d on %s ended %q (exit %d), not lost, yet attempt %d followed", name, slot, e.Task, h.N, h.Worker, h.Error, h.ExitCode, r.Attempt)
				}
			}
			lost, unstarted := map[int]bool{}, map[int]bool{}
			for _, h := range r.History {
				lost[h.N] = lost[h.N] || h.Lost
				unstarted[h.N] = unstarted[h.N] || h.Unstarted
			}
			final := int64(0)
			for n, a := range byTask[e.Task] {
				if unstarted[n] {
					fail("schedule %s: slot %v's task %s: attempt %d ran, but its history says it never started", name, slot, e.Task, n)
				}
				if n < r.Attempt && !lost[n] {
					fail("schedule %s: slot %v's task %s: attempt %d ran and attempt %d followed, but its history has no loss of attempt %d", name, slot, e.Task, n, r.Attempt, n)
				}
				workers := map[string]bool{}
				for _, l := range a.starts {
					workers[l.worker] = true
				}
				switch {
				case len(a.starts) > 1:
					fail("schedule %s: slot %v's task %s: attempt %d started %d times, on %v", name, slot, e.Task, n, len(a.starts), slices.Sorted(maps.Keys(workers)))
				case len(a.starts) == 0:
					fail("schedule %s: slot %v's task %s: attempt %d ended without starting", name, slot, e.Task, n)
				}
				if len(a.ends) > 1 {
					fail("schedule %s: slot %v's task %s: attempt %d ended %d times", name, slot, e.Task, n, len(a.ends))
				}
				if n > r.Attempt {
					fail("schedule %s: slot %v's task %s ended as attempt %d on %s, but attempt %d ran", name, slot, e.Task, r.Attempt, r.Worker, n)
				}
				if n == r.Attempt && r.State == store.StateSucceeded {
					if !workers[r.Worker] || len(a.ends) == 0 {
						fail("schedule %s: slot %v's task %s succeeded as attempt %d on %s, which did not run there to its end (started on %v, %d ends)", name, slot, e.Task, n, r.Worker, slices.Sorted(maps.Keys(workers)), len(a.ends))
					} else {
						final = a.ends[0].at
					}
				}
			}
			if r.State == store.StateSucceeded && len(byTask[e.Task]) == 0 {
				fail("schedule %s: slot %v's task %s succeeded, but never ran", name, slot, e.Task)
			}
			runs = append(runs, runEnd{slot: k, final: final, task: r})
		default:
			fail("schedule %s: slot %v has an entry no policy explains: task %q, state %q, reason %q", name, slot, e.Task, e.State, e.Reason)
		}
	}

	// forbid: each run's attempts start after the attempt that made the
	// previous run's result ended. (An earlier, lost attempt may still be
	// running then: a worker paused past its session runs on until it
	// wakes and kills it, docs/FAILURES.md. Counted, not failed.)
	if rec.Concurrency == store.ConcurrencyForbid {
		var prevEnd int64
		prev := ""
		for i, r := range runs {
			first := firstStart(byTask[r.task.ID])
			for n, a := range byTask[r.task.ID] {
				for _, l := range a.starts {
					if prevEnd != 0 && l.at <= prevEnd {
						fail("schedule %s (forbid): slot %v's task %s: attempt %d started on %s %v before the previous run, %s, ended (its attempt that made the result)",
							name, grid[r.slot], r.task.ID, n, l.worker, time.Duration(prevEnd-l.at), prev)
					}
				}
			}
			for _, p := range runs[:i] {
				for n, a := range byTask[p.task.ID] {
					if n == p.task.Attempt {
						continue
					}
					for _, end := range a.ends {
						if first != 0 && first < end.at {
							st.zombies++
							logf("schedule %s (forbid): slot %v's task %s started while lost attempt %d of %s still ran on %s",
								name, grid[r.slot], r.task.ID, n, p.task.ID, end.worker)
						}
					}
				}
			}
			if r.final > prevEnd {
				prevEnd, prev = r.final, r.task.ID
			}
		}
	}
	logf("schedule %s (catch-up %s, concurrency %s, deadline %v): %d slots from %v to %v, %d fired", name, rec.Catchup, rec.Concurrency, s.deadline,
		len(grid), grid[0].Format(time.TimeOnly), grid[len(grid)-1].Format(time.TimeOnly), fired)
}

func describeEntry(entries []*store.ScheduleRun, index map[int64]int, slot int64) string {
	k, ok := index[slot]
	switch {
	case !ok:
		return "not a slot of the schedule's window"
	case entries[k] == nil:
		return "no entry"
	default:
		return fmt.Sprintf("task %q %s %q", entries[k].Task, entries[k].State, entries[k].Reason)
	}
}
