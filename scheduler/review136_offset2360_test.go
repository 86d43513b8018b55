package scheduler

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// at2360 is t written with a zone offset of +23:60: Go's RFC 3339 parser
// takes it (its fallback, time.Parse, allows an offset's minutes up to 60,
// as it allows its hours up to 24), and it is an offset of 24 hours, which
// Time.MarshalJSON refuses ("timezone hour outside of range [0,23]"),
// exactly as it refuses +24:00. store.reencodes only re-encodes a record
// holding the bytes "+24:" or "-24:", so this one passes Decode and
// DecodeTask as +24:00 did before e61d8b8.
func at2360(t time.Time) string {
	return t.UTC().Add(24*time.Hour).Format("2006-01-02T15:04:05") + "+23:60"
}

// TestReview136QueuedRecordAtOffset2360IsMovedAside: review135's queue
// item that cannot be written again, with its 24-hour offset spelled
// +23:60. DecodeTask does not refuse it (the substring check misses it),
// its placement fails to encode the assignment, and commitEach re-reads it
// and tries it again at every pass, for good; it is never moved aside.
func TestReview136QueuedRecordAtOffset2360IsMovedAside(t *testing.T) {
	if _, err := store.DecodeTask([]byte(`{"v":1,"id":"01ARZ3NDEKTSV4RRFFQ69G5FAV","cmd":["true"],"priority":"normal","state":"queued","attempt":1,"submitted_at":"` + at2360(time.Now()) + `"}`)); err == nil {
		t.Logf("DecodeTask takes a record at +23:60 (it refuses +24:00)")
	}
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	lay := st.Layout()
	id := ulid.Make().String()
	submit(t, st, 1, func(_ int, task *store.Task) { task.ID = id })
	item := lay.QueueItem(id)
	_, stat, err := st.Get(item)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(map[string]any{
		"v": 1, "id": id, "cmd": []string{"true"}, "retries": 0, "priority": "normal",
		"submitted_at": at2360(time.Now()), "state": "queued", "attempt": 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Set(item, raw, stat.Version); err != nil {
		t.Fatal(err)
	}
	w := registerWorker(t, root, "w1", 10, nil)
	good := submit(t, st, 3, nil)
	runScheduler(t, st, "s1")
	drovertest.WaitFor(t, 20*time.Second, "the good tasks placed", func() bool { return len(w.assignments(t)) >= len(good) })
	ok := drovertest.Eventually(10*time.Second, func() bool {
		exists, _, err := st.Exists(item)
		return err == nil && !exists
	})
	if !ok {
		t.Fatalf("queue item %s whose submitted_at is at +23:60 (a 24-hour offset) still queued (deadlettered: %v): its placement fails to encode the record, and it is re-read and tried again at every pass",
			item, deadletterFrom(t, st, item))
	}
}

// TestReview136ScheduleAtOffset2360StopsNothing: review135's schedule that
// ends every leader's term, its created_at at +23:60: DecodeSchedule takes
// it, its firing cannot encode it, and no task is placed and no other
// schedule fires.
func TestReview136ScheduleAtOffset2360StopsNothing(t *testing.T) {
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	lay := st.Layout()
	addSchedule(t, st, &store.Schedule{Name: "good", Cron: "* * * * * *", Concurrency: store.ConcurrencyAllow})
	addSchedule(t, st, &store.Schedule{Name: "odd", Cron: "* * * * * *", Concurrency: store.ConcurrencyAllow})
	data, stat, err := st.Get(lay.Schedule("odd"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	m["created_at"], _ = json.Marshal(at2360(time.Now().Add(-time.Minute)))
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Set(lay.Schedule("odd"), raw, stat.Version); err != nil {
		t.Fatal(err)
	}
	w := registerWorker(t, root, "w1", 100, nil)
	runScheduler(t, st, "s1")
	ok := drovertest.Eventually(15*time.Second, func() bool {
		d, _, err := st.Get(lay.Schedule("good"))
		if err != nil {
			return false
		}
		good, err := store.DecodeSchedule(d)
		return err == nil && good.Fired >= 3 && len(w.assignments(t)) >= 3
	})
	if !ok {
		d, _, _ := st.Get(lay.Schedule("odd"))
		t.Fatalf("with schedule odd's created_at at +23:60 (a 24-hour offset): schedule good fired %d times, %d tasks placed, odd still in place: %v, deadlettered: %v",
			readSchedule(t, st, "good").Fired, len(w.assignments(t)), bytes.Equal(d, raw), deadletterFrom(t, st, lay.Schedule("odd")))
	}
}
