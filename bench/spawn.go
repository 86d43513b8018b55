package bench

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"
)

// SpawnReport is what starting the CLI phase's command costs on this
// machine with nothing else running: the ceiling of that phase, as the raw
// create rate is the ceiling of the others. The JSON keys are stable.
type SpawnReport struct {
	// PerS is how many `true` processes this process started and reaped a
	// second, inFlight at a time.
	PerS float64 `json:"cli_raw_true_per_s"`
	// CPUMs is the CPU each of them used, as reaped (their own, not the
	// starting process's).
	CPUMs float64 `json:"cli_raw_true_cpu_ms"`
	// TasksPerRawTrue is the CLI phase's tasks_per_s over PerS, filled in
	// by Run once both are known.
	TasksPerRawTrue float64 `json:"cli_tasks_per_s_over_raw_true"`
}

// rawSpawns starts and reaps `true` from inFlight goroutines for d, each in
// a session of its own as a worker starts a command, and returns the rate
// and the CPU per process. What a worker adds around a start (its
// bookkeeping, the guard, output capture) is Drover's and is not counted.
func rawSpawns(ctx context.Context, d time.Duration, inFlight int) (*SpawnReport, error) {
	path, err := exec.LookPath("true")
	if err != nil {
		return nil, fmt.Errorf("raw process starts: %w", err)
	}
	before, err := childrenCPU()
	if err != nil {
		return nil, err
	}
	var n atomic.Int64
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	start := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	for range inFlight {
		g.Go(func() error {
			for gctx.Err() == nil {
				cmd := exec.Command(path)
				cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
				if err := cmd.Run(); err != nil {
					return fmt.Errorf("raw process starts: %s: %w", path, err)
				}
				n.Add(1)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	elapsed := time.Since(start)
	if errors.Is(ctx.Err(), context.Canceled) {
		return nil, context.Cause(ctx)
	}
	after, err := childrenCPU()
	if err != nil {
		return nil, err
	}
	if n.Load() == 0 {
		return nil, fmt.Errorf("raw process starts: none in %v", d)
	}
	return &SpawnReport{
		PerS:  float64(n.Load()) / elapsed.Seconds(),
		CPUMs: ms(after-before) / float64(n.Load()),
	}, nil
}

// childrenCPU is the CPU time of this process's children it has reaped.
func childrenCPU() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru); err != nil {
		return 0, fmt.Errorf("getrusage: %w", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}
