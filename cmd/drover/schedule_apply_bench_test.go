package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// applyBenchBinary is a drover binary to time instead of this tree's (an
// earlier build, for a before-and-after on the same server and host).
var applyBenchBinary = flag.String("apply-bench-binary", "", "drover binary BenchmarkScheduleApply times (default: this tree's)")

// BenchmarkScheduleApply times drover schedule apply of files of new
// schedules, the same file again (all unchanged), every schedule changed
// (a new spec: its unfired slots filed, its slots started anew), and a
// dry run of the first file against them (all would update), each a
// whole command against the package's ZooKeeper, in ms, and the command's
// CPU (user and system) in ms:
//
//	go test ./cmd/drover -run '^$' -bench ScheduleApply -benchtime 1x
func BenchmarkScheduleApply(b *testing.B) {
	bin := binary
	if *applyBenchBinary != "" {
		bin = *applyBenchBinary
	}
	for _, n := range []int{2000, 20000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			dir := b.TempDir()
			file := func(name, cron string) string {
				var buf bytes.Buffer
				for i := range n {
					fmt.Fprintf(&buf, "s%05d:\n  cron: %q\n  retries: 1\n  cmd: [./report.sh, --part, %q]\n", i, cron, fmt.Sprint(i))
				}
				p := filepath.Join(dir, name)
				if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
					b.Fatal(err)
				}
				return p
			}
			first, changed := file("first.yaml", "0 2 * * *"), file("changed.yaml", "30 3 * * *")
			for range b.N {
				root := newRoot()
				for _, phase := range []struct {
					name, file, want string
					args             []string
				}{
					{"new", first, "added ", nil},
					{"unchanged", first, "unchanged ", nil},
					{"changed", changed, "updated ", nil},
					{"dry_run", first, "would update ", []string{"--dry-run"}},
				} {
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
					args := append([]string{"--zk", zkAddr, "--root", root, "--session-timeout", "10s", "schedule", "apply", "-f", phase.file}, phase.args...)
					cmd := exec.CommandContext(ctx, bin, args...)
					var out, errb bytes.Buffer
					cmd.Stdout, cmd.Stderr = &out, &errb
					start := time.Now()
					err := cmd.Run()
					took := time.Since(start)
					cancel()
					if err != nil || strings.Count(out.String(), phase.want) != n {
						b.Fatalf("%s: %v, %d lines %q of %d; stderr %q", phase.name, err, strings.Count(out.String(), phase.want), phase.want, n, errb.String())
					}
					b.ReportMetric(float64(took.Milliseconds()), phase.name+"_ms")
					cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
					b.ReportMetric(float64(cpu.Milliseconds()), phase.name+"_cpu_ms")
				}
			}
		})
	}
}
