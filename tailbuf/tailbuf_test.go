package tailbuf

import (
	"strings"
	"testing"
)

func TestBuffer(t *testing.T) {
	b := New(64 << 10)
	if got := b.LastLines(1); got != "" {
		t.Fatalf("empty: %q", got)
	}
	b.Write([]byte("one\ntwo\n"))
	if got := b.LastLines(1); got != "two" {
		t.Fatalf("LastLines(1) = %q, want two", got)
	}
	if got := b.LastLines(5); got != "one\ntwo" {
		t.Fatalf("LastLines(5) = %q, want both lines", got)
	}
	n, err := b.Write([]byte(strings.Repeat("x", 100<<10)))
	if n != 100<<10 || err != nil {
		t.Fatalf("Write past the cap: %d, %v; want all of it taken", n, err)
	}
	if b.Len() != 64<<10 {
		t.Fatalf("kept %d bytes, want %d", b.Len(), 64<<10)
	}
	// What was written last is what it kept.
	b.Write([]byte("\ndrover: refused\n"))
	if got := b.LastLines(1); got != "drover: refused" {
		t.Fatalf("LastLines(1) after the cap = %.40q, want the last line written", got)
	}
	if b.Len() != 64<<10 {
		t.Fatalf("kept %d bytes, want %d", b.Len(), 64<<10)
	}
}
