package client

import (
	"slices"
	"testing"
	"time"

	"github.com/drover-sched/drover/store"
)

// TestSameSpecTakesEmptyForNone: "env": {} on one line and none on another
// (or a record that dropped the empty map) are one task; a key given to
// both was refused as two, and a resubmit said "another spec" (review175).
func TestSameSpecTakesEmptyForNone(t *testing.T) {
	a := &store.Task{Cmd: []string{"true"}}
	b := &store.Task{Cmd: []string{"true"}, Env: map[string]string{}, On: map[string]string{}, Payload: []byte{}}
	if !SameSpec(a, b) {
		t.Error("empty env, labels and payload taken for another spec than none")
	}
	if SameSpec(a, &store.Task{Cmd: []string{"true"}, Env: map[string]string{"A": "b"}}) {
		t.Error("a variable set taken for the same spec as none")
	}
}

// A spec's exit codes not retried are kept sorted, each once: listed in
// another order, or twice, they are the same spec; other codes are not.
// Codes out of range, or on a handler's task, are refused.
func TestNoRetryExitIsOneSetOfCodes(t *testing.T) {
	now := time.Now()
	a, err := TaskSpec{Cmd: []string{"x"}, NoRetryExit: []int{64, 2, 2}}.Task(now)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.NoRetryExit, []int{2, 64}) {
		t.Errorf("no_retry_exit kept as %v, want [2 64]", a.NoRetryExit)
	}
	if !SameSpec(a, &store.Task{Cmd: []string{"x"}, NoRetryExit: []int{2, 64}}) {
		t.Error("the same codes in another order taken for another spec")
	}
	if SameSpec(a, &store.Task{Cmd: []string{"x"}, NoRetryExit: []int{2}}) || SameSpec(a, &store.Task{Cmd: []string{"x"}}) {
		t.Error("other codes, or none, taken for the same spec")
	}
	for _, bad := range []TaskSpec{
		{Cmd: []string{"x"}, NoRetryExit: []int{0}},
		{Cmd: []string{"x"}, NoRetryExit: []int{256}},
		{Cmd: []string{"x"}, NoRetryExit: []int{-1}},
		{Handler: "h", NoRetryExit: []int{2}},
	} {
		if _, err := bad.Task(now); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}
