package client

import (
	"testing"

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
