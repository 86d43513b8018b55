package worker

import (
	"testing"
	"time"

	"github.com/drover-sched/drover/store"
)

// A host-fault loss backs off by the losses since the last drover retry: a
// task that had died of 20 losses, retried, waited the full 5 minutes after
// its first loss since, as if it had been lost 21 times in a row.
func TestRetryDelayAfterAHostFaultCountsOnlyUnforgivenLosses(t *testing.T) {
	b := Backoff{Base: time.Second, Max: time.Hour, Rand: func() float64 { return 0 }}
	lost := func(n int) []store.Attempt {
		h := make([]store.Attempt, n)
		for i := range h {
			h[i] = store.Attempt{N: i + 1, Lost: true}
		}
		return h
	}
	retried := &store.Task{History: lost(21), LostBefore: 20}
	if got := retryDelay(b, retried, true); got != time.Second {
		t.Errorf("first loss after a retry forgave 20: delay %v, want 1s", got)
	}
	fresh := &store.Task{History: lost(3)}
	if got := retryDelay(b, fresh, true); got != 4*time.Second {
		t.Errorf("third loss: delay %v, want 4s", got)
	}
	failed := &store.Task{History: append(lost(5), store.Attempt{N: 6, ExitCode: 1}, store.Attempt{N: 7, ExitCode: 1})}
	if got := retryDelay(b, failed, false); got != 2*time.Second {
		t.Errorf("second failure after 5 losses: delay %v, want 2s", got)
	}
}
