package scheduler

import (
	"strings"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// A schedule that a client of a8e73ef..cbea2a3 wrote (the first releases
// with schedules: the client checked a template with Task.Validate and
// store.Encode, up to MaxRecordSize, with no MaxSpecSize yet; a8e73ef's
// ScheduleSpec.Record accepts this one, through client.AddSchedule) whose
// template is past 256 KiB, and small enough that a firing fits
// maxFiringBytes (the record and one slot's task, ~600 KiB here), fires
// with every release up to f05f196 (its DecodeSchedule does not check the
// template's size). DecodeSchedule's CheckFireable refused it with
// EncodeSpec's MaxSpecSize, so the upgraded leader moved a schedule in use
// to deadletter; it now refuses only a template whose firing cannot fit
// store.MaxFiringBytes. (Found by review.)
//
// The record is written as a8e73ef's ScheduleSpec.Record and AddSchedule
// wrote it: the template is TaskSpec.Task's task with its id, state,
// attempt and submit time cleared, its name the schedule's, its "v" 0
// (only the schedule's Encode stamped a version), and the whole record
// store.Encode'd and created.
func TestScheduleOfALargeTemplateAnEarlyClientWroteKeepsFiring(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	big := strings.Repeat("x", 300<<10) // past MaxSpecSize (256 KiB), within MaxRecordSize
	rec := &store.Schedule{
		Name: "early", Cron: "* * * * * *", Catchup: store.CatchupNone, Concurrency: store.ConcurrencyAllow,
		Task:      store.Task{Name: "early", Cmd: []string{"true"}, Env: map[string]string{"BIG": big}, Priority: store.PriorityNormal},
		CreatedAt: time.Now().UTC(), KeepSucceeded: 10, KeepFailed: 10,
	}
	data, err := store.Encode(rec)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Create(st.Layout().Schedule(rec.Name), data); err != nil {
		t.Fatal(err)
	}
	runScheduler(t, st, "s1")
	state := func() (exists bool, fired int64) {
		data, _, err := st.Get(st.Layout().Schedule("early"))
		if err != nil {
			return false, 0
		}
		var r store.Schedule
		if store.Decode(data, &r) != nil {
			return true, 0
		}
		return true, r.Fired
	}
	drovertest.WaitFor(t, 10*time.Second, "the schedule fired or gone", func() bool {
		ok, n := state()
		return !ok || n >= 1
	})
	if ok, n := state(); !ok || n < 1 {
		t.Fatalf("a schedule an earlier release's client wrote, which that release's leader fires, was moved aside (in place: %v, fired: %d)", ok, n)
	}
}
