package client

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/drover-sched/drover/store"
)

// TestResultInANonTerminalStateIsMalformed: a result record is a task's
// one terminal outcome; one whose state is not terminal ("running", or no
// state Drover has, written by hand or by something other than Drover) is
// malformed data, to be moved aside and reported. DecodeTask checks no
// state, so the client takes it as the outcome: Wait returns at once with
// a task "running" (drover wait / submit --wait exit 1, "task … running"),
// Status shows it running where nothing runs it, Retry refuses it ("cannot
// be retried"), and nothing ever moves it to deadletter.
func TestResultInANonTerminalStateIsMalformed(t *testing.T) {
	c, st := newClient(t)
	lay := st.Layout()
	var problems []string
	for _, state := range []string{"running", "bogus"} {
		id := ulid.Make().String()
		if err := st.EnsureBuckets(id); err != nil {
			t.Fatal(err)
		}
		p := lay.Result(id)
		rec := fmt.Sprintf(`{"v":1,"id":%q,"cmd":["true"],"attempt":1,"state":%q}`, id, state)
		if err := st.Create(p, []byte(rec)); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		got, err := c.Wait(ctx, id)
		cancel()
		if err == nil && !got.State.Terminal() {
			problems = append(problems, fmt.Sprintf("Wait(%s) returned state %q, no error", state, got.State))
		} else if !errors.Is(err, store.ErrMalformed) {
			problems = append(problems, fmt.Sprintf("Wait(%s): %v, want it malformed", state, err))
		}
		// Wait moved it aside: Status finds it gone, or malformed.
		if got, err := c.Status(context.Background(), id); err == nil || !errors.Is(err, store.ErrMalformed) && !errors.Is(err, store.ErrUnknownTask) {
			s := ""
			if got != nil {
				s = string(got.State)
			}
			problems = append(problems, fmt.Sprintf("Status(%s) = %q, %v", state, s, err))
		}
		if exists, _, err := st.Exists(p); err != nil || exists {
			problems = append(problems, fmt.Sprintf("result in state %q not moved to deadletter (%v)", state, err))
		}
	}
	if len(problems) > 0 {
		t.Fatalf("a result record in a non-terminal state is taken for the task's outcome: %q", problems)
	}
}
