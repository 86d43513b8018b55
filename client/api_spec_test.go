package client

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/drover-sched/drover/store"
)

// WaitAll with no callback (a caller that only wants to know when all are
// done) panics on the first result, in the caller's goroutine: done is
// called unchecked, and nothing says it must be set.
func TestWaitAllWithoutACallback(t *testing.T) {
	c, _ := newClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := c.Submit(ctx, []TaskSpec{{Cmd: []string{"true"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Cancel(context.Background(), res[0].ID); err != nil {
		t.Fatal(err)
	}
	var perr any
	func() {
		defer func() { perr = recover() }()
		err = c.WaitAll(ctx, []string{res[0].ID}, nil)
	}()
	if perr != nil || err != nil {
		t.Fatalf("WaitAll with a nil done: panic %v, error %v", perr, err)
	}
}

// A spec sets what its kind of task does not use: a command's Payload
// (TaskSpec: a handler's input; nothing hands it to a command) and a
// handler's Shell are kept in the record and dropped silently, where
// unknown JSON fields are refused "so a typo cannot silently drop a
// setting". Up to 256 KiB of payload is written, and never read.
func TestSpecSettingsOfTheOtherKindAreRefused(t *testing.T) {
	c, _ := newClient(t)
	for name, spec := range map[string]TaskSpec{
		"command with a payload": {Cmd: []string{"cat"}, Payload: []byte("input")},
		"handler with shell":     {Handler: "resize", Shell: true},
	} {
		if _, err := c.Submit(context.Background(), []TaskSpec{spec}); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: error %v, want ErrInvalid", name, err)
		}
	}
	if n, err := c.List(context.Background(), store.StateQueued, 0); err == nil && len(n) > 0 {
		t.Logf("%d such tasks queued", len(n))
	}
}
