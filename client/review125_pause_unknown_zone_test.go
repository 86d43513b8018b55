package client

import (
	"context"
	"testing"

	"github.com/drover-sched/drover/store"
)

// PauseSchedule (cf1662a) says: "A spec this host cannot read (a zone its
// tzdata lacks) is paused all the same: a pause must always stop firing."
// It is not: the read before the pause (readSchedule, decodeScheduleAt)
// takes any spec ReadSpec refuses for malformed, ErrUnknownZone included,
// so a host whose tzdata lacks the zone cannot pause a schedule that a
// leader with newer tzdata fires (README: "a zone newer tzdata added,
// accepted by a client that has it"); the branch for it is never reached.
func TestReview125PauseOfAScheduleInAZoneThisHostLacks(t *testing.T) {
	c, st := newClient(t)
	rec, err := ScheduleSpec{Name: "mars", Cron: "0 * * * *", Task: TaskSpec{Cmd: []string{"true"}}}.Record(c.now())
	if err != nil {
		t.Fatal(err)
	}
	rec.TZ = "Mars/Olympus_Mons" // a zone name a newer tzdata might add: ErrUnknownZone here
	if err := st.AddSchedule(rec); err != nil {
		t.Fatal(err)
	}
	got, err := c.PauseSchedule(context.Background(), "mars")
	if err != nil {
		t.Fatalf("pause of a schedule in a zone this host lacks: %v; want it paused all the same", err)
	}
	if !got.Suspended {
		t.Fatalf("not suspended")
	}
	data, _, err := st.Get(st.Layout().Schedule("mars"))
	if err != nil {
		t.Fatal(err)
	}
	if r, err := store.DecodeSchedule(data); err != nil || !r.Suspended {
		t.Fatalf("stored record: suspended %v (%v)", r != nil && r.Suspended, err)
	}
}
