package scheduler

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// at24 is t written with a zone offset of +24:00: Go's time parser
// accepts it (RFC 3339 parsing checks the offset's minutes, not its
// hours), but Time.MarshalJSON refuses to write it ("timezone hour
// outside of range [0,23]"). A record holding one decodes, and cannot be
// encoded again.
func at24(t time.Time, offset string) string {
	return t.UTC().Add(24*time.Hour).Format("2006-01-02T15:04:05") + offset
}

// TestReview135ScheduleThatDecodesButCannotBeWrittenStopsNothing: a
// schedule record whose created_at carries a +24:00 offset (written by
// hand, or by another JSON writer) passes DecodeSchedule (created_at is
// checked by its Unix time only, and stateBytes takes a record that does
// not encode for an empty state), but its firing cannot encode the record
// again (EncodeFit: json's error, neither ErrTooLarge nor ErrMalformed).
// fireAll returns that error, which ends the leader's term; every term
// that follows reads the record and ends the same way. So one bad schedule
// stops the whole cluster: no task is placed, no other schedule fires, and
// the record is never moved aside.
func TestReview135ScheduleThatDecodesButCannotBeWrittenStopsNothing(t *testing.T) {
	// +23:60 too: the parser takes minutes to 60 (review136).
	for _, offset := range []string{"+24:00", "+23:60"} {
		t.Run(offset, func(t *testing.T) {
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
			m["created_at"], _ = json.Marshal(at24(time.Now().Add(-time.Minute), offset))
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
				t.Fatalf("with schedule odd's created_at at a %s offset: schedule good fired %d times, %d tasks placed, odd still in place: %v, deadlettered: %v",
					offset, readSchedule(t, st, "good").Fired, len(w.assignments(t)), bytes.Equal(d, raw), deadletterFrom(t, st, lay.Schedule("odd")))
			}
		})
	}
}
