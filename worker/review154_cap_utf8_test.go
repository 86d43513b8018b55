package worker

import (
	"strings"
	"testing"

	"github.com/drover-sched/drover/store"
)

// A pattern CheckConfig accepts must come back from the worker's own
// registration: the leader (store.Cluster) quarantines a registration that
// DecodeWorker refuses, and the worker itself reads it back with
// DecodeWorker (drain, tokenOf, register). CheckConfig bounds a pattern's
// length as the worker holds it, but the registration is JSON, which
// writes each byte of invalid UTF-8 as U+FFFD (three bytes): a pattern of
// at most MaxAllowPattern bytes with one such byte (outside a class,
// where path.Match takes any byte literally) is decoded longer than
// MaxAllowPattern, and the leader takes the registration for malformed.
func TestReview154CapCountsBytesBeforeJSON(t *testing.T) {
	pat := "/opt/\xff" + strings.Repeat("a", store.MaxAllowPattern-len("/opt/\xff"))
	if len(pat) != store.MaxAllowPattern {
		t.Fatalf("pattern of %d bytes", len(pat))
	}
	if err := CheckConfig(Config{ID: "w1", Allow: []string{pat}}); err != nil {
		return // refused (invalid UTF-8): no registration carries it
	}
	data, err := store.Encode(&store.WorkerInfo{ID: "w1", Capacity: 1, Allow: []string{pat}})
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	info, err := store.DecodeWorker(data)
	if err != nil {
		t.Fatalf("CheckConfig accepts a %d-byte allow pattern, but DecodeWorker refuses the registration that carries it: %v", len(pat), err)
	}
	if got := info.Allow[0]; got != pat {
		t.Errorf("the registration's pattern decodes as %d bytes %q..., not the worker's %d bytes", len(got), got[:12], len(pat))
	}
}
