package worker

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/drover-sched/drover/store"
)

// writeProgram installs a shell script named name in dir that prints says.
func writeProgram(t *testing.T, dir, name, says string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\necho "+says+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLookupCacheRemembersForTTL(t *testing.T) {
	early, late := t.TempDir(), t.TempDir()
	t.Setenv("PATH", early+string(os.PathListSeparator)+late)
	now := time.Unix(1000, 0)
	c := &lookupCache{now: func() time.Time { return now }}

	inLate := writeProgram(t, late, "prog", "late")
	if p, cached, err := c.pathIn("prog", ""); err != nil || p != inLate || cached {
		t.Fatalf("first lookup: %q cached=%v err=%v", p, cached, err)
	}
	inEarly := writeProgram(t, early, "prog", "early")
	now = now.Add(lookupTTL / 2)
	if p, cached, err := c.pathIn("prog", ""); err != nil || p != inLate || !cached {
		t.Fatalf("within the TTL: %q cached=%v err=%v, want the remembered %q", p, cached, err, inLate)
	}
	now = now.Add(lookupTTL)
	if p, cached, err := c.pathIn("prog", ""); err != nil || p != inEarly || cached {
		t.Fatalf("after the TTL: %q cached=%v err=%v, want %q", p, cached, err, inEarly)
	}
	if p, cached, err := c.pathIn("./prog", ""); err != nil || p != "./prog" || cached {
		t.Fatalf("a name with a slash: %q cached=%v err=%v", p, cached, err)
	}
	if _, _, err := c.pathIn("no-such-program", ""); err == nil {
		t.Fatal("a missing program was found")
	}
	writeProgram(t, late, "no-such-program", "now here")
	if _, _, err := c.pathIn("no-such-program", ""); err != nil {
		t.Fatalf("a failed lookup was remembered: %v", err)
	}
}

// pathOfTwoDirs makes PATH two empty directories for the test and the
// process's lookups a cache whose clock stands still (nothing expires).
func pathOfTwoDirs(t *testing.T) (first, second string) {
	t.Helper()
	first, second = t.TempDir(), t.TempDir()
	t.Setenv("PATH", first+string(os.PathListSeparator)+second)
	frozen := time.Unix(1000, 0)
	saved := lookups.Swap(&lookupCache{now: func() time.Time { return frozen }})
	t.Cleanup(func() { lookups.Store(saved) })
	return first, second
}

// A remembered path whose program has gone is looked up again at once, not
// reported as a failure to start.
func TestExecuteLooksAgainWhenRememberedPathFails(t *testing.T) {
	early, late := pathOfTwoDirs(t)

	first := writeProgram(t, early, "prog", "first")
	task := &store.Task{Cmd: []string{"prog"}}
	if out := runCmd(t, context.Background(), task); !out.ok() || out.Stdout != "first\n" {
		t.Fatalf("first run: %+v", out)
	}
	if err := os.Remove(first); err != nil {
		t.Fatal(err)
	}
	writeProgram(t, late, "prog", "moved")
	if out := runCmd(t, context.Background(), task); !out.ok() || out.Stdout != "moved\n" {
		t.Fatalf("after the program moved: %+v", out)
	}
}

// The allow-list is checked against the path that runs, also when a
// remembered path failed and the program was looked up again.
func TestExecuteChecksTheProgramFoundAgain(t *testing.T) {
	allowedDir, otherDir := pathOfTwoDirs(t)
	pol := policy{allow: []string{allowedDir + "/*"}}
	run := func() outcome {
		return execute(context.Background(), &store.Task{ID: "01JAAAAAAAAAAAAAAAAAAAAAAA", Attempt: 1, Cmd: []string{"prog"}},
			"w", store.OutputTail, time.Now, pol)
	}

	allowed := writeProgram(t, allowedDir, "prog", "allowed")
	if out := run(); !out.ok() || out.Stdout != "allowed\n" {
		t.Fatalf("the allowed program: %+v", out)
	}
	if err := os.Remove(allowed); err != nil {
		t.Fatal(err)
	}
	writeProgram(t, otherDir, "prog", "not allowed")
	if out := run(); out.ExitCode != 126 || out.Stdout != "" {
		t.Fatalf("a program outside the allow-list ran, or failed otherwise: %+v", out)
	}
}

func TestExecuteKeepsArgv0(t *testing.T) {
	if out := runCmd(t, context.Background(), &store.Task{Cmd: []string{"sh", "-c", `echo "$0"`}}); out.Stdout != "sh\n" {
		t.Fatalf("argv[0] is %q (%+v), want the name the task gave", out.Stdout, out)
	}
}
