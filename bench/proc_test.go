package bench

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// A phase waiting on a drover process that ended says why at once: the last
// line it wrote, or that it wrote nothing.
func TestUntilOneEnds(t *testing.T) {
	for _, tc := range []struct{ script, want string }{
		{"echo 'starting' >&2\necho 'drover: refused' >&2\nexit 3", "drover scheduler ended (exit status 3): drover: refused"},
		{"exit 3", "drover scheduler ended (exit status 3): no output"},
	} {
		bin := filepath.Join(t.TempDir(), "drover")
		if err := os.WriteFile(bin, []byte("#!/bin/sh\n"+tc.script+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		p, err := startDrover(Config{Binary: bin, Servers: []string{"127.0.0.1:1"}}, "/r", "scheduler", "--id", "s")
		if err != nil {
			t.Fatal(err)
		}
		ctx, stop := untilOneEnds(context.Background(), p)
		err = waitUntil(ctx, time.Minute, func() bool { return false })
		stop()
		p.kill(syscall.SIGKILL)
		if err == nil || err.Error() != tc.want {
			t.Fatalf("waiting on a process that ended: %v; want %q", err, tc.want)
		}
	}
}
