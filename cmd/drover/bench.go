package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/drover-sched/drover/bench"
	"github.com/drover-sched/drover/store"
	"github.com/drover-sched/drover/zkserver"
)

func newBenchCmd(g *globals) *cobra.Command {
	var (
		duration   time.Duration
		tasks      int
		workers    int
		capacity   int
		prefetch   int
		cpuProfile string
		cliTasks   int
		fanout     int
		scale      bench.ScaleConfig
	)
	cmd := &cobra.Command{
		Use:   "bench [--zk ADDR] [--duration D] [--tasks N]",
		Short: "Measure raw ZooKeeper and Drover in one run: throughput, latency, failover, cron precision",
		Long: `Measures, in one run and against the same ZooKeeper: raw pipelined creates and
batched multis, Drover's end-to-end throughput of no-op tasks (in-process scheduler
and workers), idle submit-to-start and submit-to-result latency, cron fire delay
(one per-second schedule, and --cron-fanout schedules due at one slot), crash
failover time, the same through the CLI (drover submit -f and wait -f of
true commands run by worker processes, with where that phase's CPU went, per
task and process) and peak memory. Without --zk it starts its own ZooKeeper from
the system installation. With --zk it writes under /drover-bench-* roots and
deletes each when its phase ends, also after Ctrl-C (a second Ctrl-C leaves
it); its load is a production ensemble's worst day, so use a scratch one.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if duration < time.Second || tasks < 1 || workers < 1 || capacity < 1 || cliTasks < 0 || fanout < 0 ||
				scale.Queued < 0 || scale.Workers < 1 || scale.Capacity < 1 {
				return usageErr("bench: --duration >= 1s, --tasks, --workers, --capacity, --scale-workers and --scale-capacity >= 1, --cli-tasks, --cron-fanout and --scale-queued >= 0")
			}
			if workers > maxBenchWorkers || scale.Workers > maxBenchWorkers {
				// Each an in-process worker with its own session: a typo
				// (--workers 20000000) ran the machine out of memory.
				return usageErr("bench: --workers and --scale-workers at most %d", maxBenchWorkers)
			}
			if capacity > store.MaxCapacity || scale.Capacity > store.MaxCapacity {
				return usageErr("bench: --capacity and --scale-capacity at most %d (a worker's most)", store.MaxCapacity)
			}
			if prefetch < 0 || capacity+prefetch > store.MaxCapacity {
				return usageErr("bench: --prefetch %d: want 0 to %d (--capacity and --prefetch together at most %d, a worker's most)", prefetch, store.MaxCapacity-capacity, store.MaxCapacity)
			}
			if prefetch == 0 && cmd.Flags().Changed("prefetch") {
				prefetch = -1 // none; left out, bench.Config's default
			}
			if cliTasks == 0 {
				cliTasks = -1 // skip
			}
			if fanout > bench.MaxCronFanout {
				return usageErr("bench: --cron-fanout %d: at most %d", fanout, bench.MaxCronFanout)
			}
			if fanout == 0 {
				fanout = -1 // skip
			}
			ctx, stop := signalContext()
			defer stop()
			var servers []string
			zkPid := 0
			cleanup := cmd.Flags().Changed("zk") || os.Getenv("DROVER_ZK") != ""
			// An ensemble of the user's is reached as every command reaches it.
			var auth, readOnly string
			var tlsCfg *tls.Config
			var procArgs, procEnv []string
			if cleanup {
				var err error
				if servers, err = g.servers(); err != nil {
					return err
				}
				auth, readOnly, tlsCfg = g.zkAuth, g.zkReadOnlyAuth, g.tls
				procArgs = g.tlsFlags()
				if auth != "" {
					procEnv = []string{"DROVER_ZK_AUTH=" + auth}
				}
				if readOnly != "" {
					procEnv = append(procEnv, "DROVER_ZK_AUTH_READONLY="+readOnly)
				}
			} else {
				fmt.Fprintln(cmd.ErrOrStderr(), "starting ZooKeeper ...")
				// A heap with room for what the raw phases leave behind, so the
				// later phases do not pay for their garbage collection.
				srv, err := zkserver.Start(ctx, zkserver.Config{Heap: "2g"})
				if err != nil {
					if errors.Is(err, zkserver.ErrNotInstalled) {
						return exitCode(1, err.Error())
					}
					return exitCode(1, "start ZooKeeper: "+withCause(err.Error()))
				}
				defer srv.Stop()
				servers, zkPid = []string{srv.Addr()}, srv.Pid()
			}
			self, err := os.Executable()
			if err != nil {
				self = ""
			}
			benchLog := g.logger("bench")
			if !cmd.Flags().Changed("log-level") {
				// The phases log per task otherwise, and a phase that stops
				// its workers with work queued (throughput counts over a
				// window) makes them warn of each attempt they give up.
				benchLog = benchLog.Level(zerolog.ErrorLevel)
			}
			if cpuProfile != "" {
				f, err := os.Create(cpuProfile)
				if err != nil {
					return usageErr("--cpuprofile: %v", err)
				}
				defer f.Close()
				if err := pprof.StartCPUProfile(f); err != nil {
					return err
				}
				defer pprof.StopCPUProfile()
			}
			start := time.Now()
			r, err := bench.Run(ctx, bench.Config{
				Servers: servers, Duration: duration, Tasks: tasks, Workers: workers, Capacity: capacity, Prefetch: prefetch, CLITasks: cliTasks, CronFanout: fanout, Scale: scale,
				Binary: self, Log: benchLog, ZKPid: zkPid, Cleanup: cleanup,
				Auth: auth, ReadOnlyAuth: readOnly, TLS: tlsCfg, ProcessArgs: procArgs, ProcessEnv: procEnv,
				// As every client command: no session within --session-timeout
				// means no server. (The bench's own sessions time out in 2 s.)
				ConnectTimeout: g.sessionTimeout,
				Progress: func(phase string) {
					fmt.Fprintf(cmd.ErrOrStderr(), "[%5.1fs] %s ...\n", time.Since(start).Seconds(), phase)
				},
			})
			if err != nil {
				if errors.Is(err, context.Canceled) {
					return exitCode(130, "interrupted")
				}
				return err
			}
			// The figures stand even when a root could not be deleted; the
			// exit code says the ensemble needs a hand.
			leftBehind := func(err error) error {
				if err == nil && len(r.LeftBehind) > 0 {
					return exitCode(1, fmt.Sprintf("could not delete %s: delete it with zkCli.sh deleteall", strings.Join(r.LeftBehind, ", ")))
				}
				return err
			}
			if g.output == "json" {
				return leftBehind(writeJSON(cmd.OutOrStdout(), r))
			}
			rows := [][]string{
				{"zk_raw_creates_per_s", f0(r.ZKRawCreatesPerS), "plain creates, 64 in flight"},
				{"zk_raw_multi_ops_per_s", f0(r.ZKRawMultiOpsPerS), "creates inside 50-op multis, 4 in flight"},
				{"tasks_per_s", f0(r.TasksPerS), fmt.Sprintf("%d no-op tasks, %d workers x %d, prefetch %d", r.Tasks, r.Workers, r.Capacity, r.Prefetch)},
				{"tasks_per_s / zk_raw_creates_per_s", fmt.Sprintf("%.2f", r.TasksPerRawCreate), "goal >= 0.3"},
			}
			if c := r.TasksCPUReport; c != nil {
				note := fmt.Sprintf("this process %.2f ms a task", c.Drover)
				if c.ZooKeeper > 0 {
					note += fmt.Sprintf(", ZooKeeper %.2f", c.ZooKeeper)
				}
				rows = append(rows, []string{"tasks_busy_cores", fmt.Sprintf("%.2f", c.BusyCores), note})
			}
			rows = append(rows, [][]string{
				{"zk_raw_create_p50_ms", f1(r.ZKRawCreateP50Ms), "one create at a time; an idle task starts after 3 writes and 2 or 3 reads in turn"},
				{"zk_raw_create_p99_ms", f1(r.ZKRawCreateP99Ms), ""},
				{"zk_raw_get_p50_ms", f1(r.ZKRawGetP50Ms), "one get at a time"},
				{"submit_to_start_p50_ms", f1(r.SubmitToStartP50Ms), "idle cluster; goal <= 5"},
				{"submit_to_start_p99_ms", f1(r.SubmitToStartP99Ms), "goal <= 25"},
				{"submit_to_result_p50_ms", f1(r.SubmitToResultP50Ms), ""},
				{"cron_delay_p50_ms", f1(r.CronDelayP50Ms), "per-second schedule, slot to start"},
				{"cron_delay_p99_ms", f1(r.CronDelayP99Ms), ""},
			}...)
			if c := r.CronFanoutReport; c != nil {
				rows = append(rows,
					[]string{"cron_fanout_start_p50_ms", f1(c.StartP50Ms), fmt.Sprintf("%d schedules due at one slot, slot to start", c.Schedules)},
					[]string{"cron_fanout_start_max_ms", f1(c.StartMaxMs), fmt.Sprintf("the last of them; %d slots of the two missed", c.Missed)},
					[]string{"cron_fanout_fired_max_ms", f1(c.FiredMaxMs), "slot to the last firing's commit"},
					[]string{"cron_fanout_refired_max_ms", f1(c.RefiredMaxMs), "the same at their second slot, each with a run to file"})
			}
			rows = append(rows, []string{"failover_ms", f0(r.FailoverMs), fmt.Sprintf("kill -9 of the leader, session timeout %.0f ms", r.SessionTimeoutMs)})
			if r.CLITasks > 0 { // the phase ran
				rows = append(rows,
					[]string{"cli_tasks_per_s", f0(r.CLITasksPerS), fmt.Sprintf("submit -f and wait -f of %d true commands, %d worker processes x %d, prefetch %d", r.CLITasks, r.Workers, r.Capacity, r.Prefetch)},
					[]string{"cli_tasks_per_s / zk_raw_creates_per_s", fmt.Sprintf("%.2f", r.CLITasksPerRawCreate), cliGoalNote(r)})
				if s := r.SpawnReport; s != nil {
					rows = append(rows,
						[]string{"cli_raw_true_per_s", f0(s.PerS), fmt.Sprintf("true alone, started and reaped %d at a time with nothing else running; %.2f ms CPU each", r.Workers*r.Capacity, s.CPUMs)},
						[]string{"cli_tasks_per_s / cli_raw_true_per_s", fmt.Sprintf("%.2f", s.TasksPerRawTrue), "the CLI phase against this machine's own ceiling"})
				}
				if c := r.CLICPUReport; c != nil {
					rows = append(rows, []string{"cli_cpu_ms_per_task", fmt.Sprintf("%.2f", c.Total()), cliCPUNote(c, r.ZKRawCreatesPerS)})
				}
			}
			rows = append(rows, []string{"peak_rss_mb", f1(r.PeakRSSMB), "this process: scheduler and workers"})
			if s := r.ScaleReport; s != nil {
				rows = append(rows,
					[]string{"scale_queued", strconv.Itoa(s.Queued), fmt.Sprintf("submitted in %.1f s; the leader held them all %.1f s later", s.SubmitS, s.LoadS)},
					[]string{"scale_drain_tasks_per_s", f0(s.DrainTasksPerS), fmt.Sprintf("%d workers x %d", s.Workers, scale.Capacity)},
					[]string{"scale_scheduler_peak_rss_mb", f1(s.SchedulerPeakRSSMB), "the scheduler process; goal <= 512 at 1,000,000 queued"},
					[]string{"scale_max_bucket_children", strconv.Itoa(s.MaxBucketChildren), fmt.Sprintf("longest queue or result bucket: ~%d KiB listed, jute.maxbuffer is 1024", s.MaxBucketListBytes/1024)})
			}
			return leftBehind(table(cmd.OutOrStdout(), "METRIC\tVALUE\tNOTE", rows))
		},
	}
	f := cmd.Flags()
	f.DurationVar(&duration, "duration", 5*time.Second, "time spent on each raw ZooKeeper phase")
	f.IntVar(&tasks, "tasks", 5000, "no-op tasks the throughput phase keeps queued while it counts")
	f.IntVar(&workers, "workers", 2, "workers in the throughput phase")
	f.IntVar(&capacity, "capacity", 32, "capacity of each worker (at most 10000)")
	f.IntVar(&prefetch, "prefetch", 0, "prefetch of each worker in the throughput and CLI phases: assignments beyond its capacity that wait there for a slot (default: 3 x --capacity, at most 10000 less it; 0: none)")
	f.IntVar(&cliTasks, "cli-tasks", 10000, "true commands in the CLI phase (0 skips it)")
	f.IntVar(&fanout, "cron-fanout", 1000, "schedules due at one slot in the cron fan-out phase (0 skips it; at most 40000)")
	f.IntVar(&scale.Queued, "scale-queued", 0, "scale phase: queue this many no-op tasks before any worker runs, then drain them (0 skips it)")
	f.IntVar(&scale.Workers, "scale-workers", 500, "scale phase: workers that drain the queue")
	f.IntVar(&scale.Capacity, "scale-capacity", 4, "scale phase: capacity of each worker (at most 10000)")
	f.StringVar(&cpuProfile, "cpuprofile", "", "write a Go CPU profile of the run to this file")
	return cmd
}

// cliGoalNote states the CLI goal and, once the raw starts of true are
// measured, the most that starting true alone leaves for it on this machine.
func cliGoalNote(r *bench.Report) string {
	if s := r.SpawnReport; s != nil && r.ZKRawCreatesPerS > 0 {
		return fmt.Sprintf("goal >= 0.15; starting true alone allows at most %.2f here", s.PerS/r.ZKRawCreatesPerS)
	}
	return "goal >= 0.15"
}

func f0(v float64) string { return fmt.Sprintf("%.0f", v) }
func f1(v float64) string { return fmt.Sprintf("%.1f", v) }

// cliCPUNote breaks the CLI phase's CPU per task down by process, and says
// how much the goal (0.15 x the raw create rate) allows at the cores that
// were busy.
func cliCPUNote(c *bench.CLICPUReport, rawCreates float64) string {
	note := fmt.Sprintf("true %.2f, workers %.2f, scheduler %.2f, submit+wait %.2f", c.Commands, c.Workers, c.Scheduler, c.Clients)
	if c.ZooKeeper > 0 {
		note += fmt.Sprintf(", ZooKeeper %.2f", c.ZooKeeper)
	}
	return note + fmt.Sprintf("; %.1f cores busy, at which the goal allows %.2f", c.BusyCores, c.BusyCores*1000/(0.15*rawCreates))
}

// maxBenchWorkers bounds bench's in-process workers: each holds a
// ZooKeeper session (the scale phase's default is 500).
const maxBenchWorkers = 5000
