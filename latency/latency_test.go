package latency

import (
	"sync"
	"testing"
)

// TestSnapshot: cumulative buckets, the +Inf bucket only in the
// count, and no bucket above the count while observations land.
func TestSnapshot(t *testing.T) {
	var h Recorder
	for _, s := range []float64{0.0005, 0.003, 0.003, 400} {
		h.Observe(s)
	}
	got := h.Snapshot()
	if got.Count != 4 || got.Buckets[0.001] != 1 || got.Buckets[0.005] != 3 || got.Buckets[300] != 3 {
		t.Fatalf("snapshot %+v", got)
	}

	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
				h.Observe(0.0001)
			}
		}
	}()
	defer func() { close(stop); wg.Wait() }()
	for range 2000 {
		s := h.Snapshot()
		for b, n := range s.Buckets {
			if n > s.Count {
				t.Fatalf("bucket %v holds %d, above the count %d", b, n, s.Count)
			}
		}
	}
}
