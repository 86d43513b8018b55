package bench

import (
	"context"
	"errors"
	"testing"
	"time"
)

// The raw starts of true count what ran and what it cost.
func TestRawSpawns(t *testing.T) {
	r, err := rawSpawns(context.Background(), 300*time.Millisecond, 4)
	if err != nil {
		t.Fatal(err)
	}
	if r.PerS <= 0 || r.CPUMs < 0 {
		t.Errorf("rawSpawns = %+v, want a positive rate and a CPU time", r)
	}
}

// An interrupted bench says so rather than report a short measurement.
func TestRawSpawnsInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := rawSpawns(ctx, time.Minute, 4); !errors.Is(err, context.Canceled) {
		t.Errorf("rawSpawns of an ended context: %v, want context.Canceled", err)
	}
}
