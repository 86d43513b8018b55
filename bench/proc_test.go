package bench

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A phase waiting on a drover process that ended says why at once.
func TestUntilOneEnds(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "drover")
	script := "#!/bin/sh\necho 'starting' >&2\necho 'drover: refused' >&2\nexit 3\n"
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	p, err := startDrover(Config{Binary: bin, Servers: []string{"127.0.0.1:1"}}, "/r", "scheduler", "--id", "s")
	if err != nil {
		t.Fatal(err)
	}
	defer p.kill(syscall.SIGKILL)
	ctx, stop := untilOneEnds(context.Background(), p)
	defer stop()
	err = waitUntil(ctx, time.Minute, func() bool { return false })
	if err == nil || err.Error() != "drover scheduler ended (exit status 3): drover: refused" {
		t.Fatalf("waiting on a process that ended: %v", err)
	}
}

func TestCappedBuffer(t *testing.T) {
	var c cappedBuffer
	if got := c.lastLine(); got != "no output" {
		t.Fatalf("empty: %q", got)
	}
	c.Write([]byte("one\ntwo\n"))
	if got := c.lastLine(); got != "two" {
		t.Fatalf("lastLine = %q, want two", got)
	}
	n, err := c.Write([]byte(strings.Repeat("x", 100<<10)))
	if n != 100<<10 || err != nil {
		t.Fatalf("Write past the cap: %d, %v; want all of it taken", n, err)
	}
	if len(c.b) != bufferCap {
		t.Fatalf("kept %d bytes, want %d", len(c.b), bufferCap)
	}
	// What a process says last is what it kept.
	c.Write([]byte("\ndrover: refused\n"))
	if got := c.lastLine(); got != "drover: refused" {
		t.Fatalf("lastLine after the cap = %.40q, want the last line written", got)
	}
	if len(c.b) != bufferCap {
		t.Fatalf("kept %d bytes, want %d", len(c.b), bufferCap)
	}
}
