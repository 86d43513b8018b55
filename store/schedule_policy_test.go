package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/drover-sched/drover/store"
)

// A schedule record whose catch-up or concurrency policy is none of those
// the leader knows decodes, and the leader then runs it as catch-up none
// and concurrency allow: "Forbid" (a record written by hand or through the
// store's Go API, which does not validate) runs every slot beside the
// last. Malformed data is to be moved aside, not read as something else.
func TestDecodeScheduleRefusesUnknownPolicies(t *testing.T) {
	for _, tc := range []struct{ catchup, concurrency string }{
		{"every", store.ConcurrencyAllow},
		{store.CatchupNone, "Forbid"},
	} {
		rec := &store.Schedule{Name: "nightly", Cron: "0 2 * * *", Catchup: tc.catchup, Concurrency: tc.concurrency,
			Task: store.Task{Cmd: []string{"true"}}, CreatedAt: time.Now().UTC(), KeepSucceeded: 10, KeepFailed: 10}
		data, err := store.Encode(rec)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.DecodeSchedule(data); !errors.Is(err, store.ErrMalformed) {
			t.Errorf("catch-up %q, concurrency %q: decoded (err %v), want ErrMalformed", tc.catchup, tc.concurrency, err)
		}
	}
}
