package bench

import (
	"fmt"
	"time"

	"github.com/prometheus/procfs"
)

// CLICPUReport says where the CLI phase's CPU went, in milliseconds per task:
// the figures that decide whether cli_tasks_per_s can reach its goal on a
// machine (see docs/PERFORMANCE.md). Read from /proc, so Linux only; the JSON
// keys are stable.
type CLICPUReport struct {
	// Commands is the `true` processes, as their workers reaped them.
	Commands float64 `json:"cli_cpu_commands_ms_per_task"`
	// Workers is the worker processes themselves, Scheduler the scheduler
	// process, Clients `drover submit -f` and `drover wait -f` together.
	Workers   float64 `json:"cli_cpu_workers_ms_per_task"`
	Scheduler float64 `json:"cli_cpu_scheduler_ms_per_task"`
	Clients   float64 `json:"cli_cpu_clients_ms_per_task"`
	// ZooKeeper is the server's, when the bench started it (else absent).
	ZooKeeper float64 `json:"cli_cpu_zookeeper_ms_per_task,omitempty"`
	// BusyCores is the whole machine's CPU use over the phase, in cores.
	BusyCores float64 `json:"cli_busy_cores"`
}

// Total is the CPU per task of every process counted.
func (c *CLICPUReport) Total() float64 {
	return c.Commands + c.Workers + c.Scheduler + c.Clients + c.ZooKeeper
}

// clockTick is the unit of /proc's CPU times: USER_HZ, 100 on every Linux
// architecture Go supports.
const clockTick = 10 * time.Millisecond

// procCPU reads a process's own CPU time and that of the children it has
// waited for, from /proc/<pid>/stat.
func procCPU(pid int) (self, children time.Duration, err error) {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return 0, 0, err
	}
	st, err := p.Stat()
	if err != nil {
		return 0, 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	return time.Duration(st.UTime+st.STime) * clockTick, time.Duration(st.CUTime+st.CSTime) * clockTick, nil
}

// machineBusy reads the CPU time all cores spent on anything but idling
// (user, nice, system, irq, softirq), from /proc/stat.
func machineBusy() (time.Duration, error) {
	fs, err := procfs.NewDefaultFS()
	if err != nil {
		return 0, err
	}
	st, err := fs.Stat()
	if err != nil {
		return 0, err
	}
	c := st.CPUTotal // in seconds
	return time.Duration((c.User + c.Nice + c.System + c.IRQ + c.SoftIRQ) * float64(time.Second)), nil
}

// cpuSample is the CPU times of the CLI phase's processes at one moment.
type cpuSample struct {
	at                   time.Time
	machine              time.Duration
	workers, commands    time.Duration
	scheduler, zookeeper time.Duration
}

// sampleCPU reads the times of the scheduler, the workers (and the commands
// they reaped) and, when zkPid is not 0, ZooKeeper.
func sampleCPU(scheduler int, workers []int, zkPid int) (cpuSample, error) {
	s := cpuSample{at: time.Now()}
	var err error
	if s.machine, err = machineBusy(); err != nil {
		return s, err
	}
	if s.scheduler, _, err = procCPU(scheduler); err != nil {
		return s, err
	}
	for _, pid := range workers {
		self, children, err := procCPU(pid)
		if err != nil {
			return s, err
		}
		s.workers += self
		s.commands += children
	}
	if zkPid != 0 {
		if s.zookeeper, _, err = procCPU(zkPid); err != nil {
			return s, err
		}
	}
	return s, nil
}

// cliCPU turns two samples and the clients' CPU into the report for tasks.
func cliCPU(before, after cpuSample, clients time.Duration, tasks int) *CLICPUReport {
	per := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) / float64(tasks) }
	return &CLICPUReport{
		Commands:  per(after.commands - before.commands),
		Workers:   per(after.workers - before.workers),
		Scheduler: per(after.scheduler - before.scheduler),
		Clients:   per(clients),
		ZooKeeper: per(after.zookeeper - before.zookeeper),
		BusyCores: float64(after.machine-before.machine) / float64(after.at.Sub(before.at)),
	}
}

// TasksCPUReport says where the in-process throughput phase's CPU went, in
// milliseconds per task, and how busy the machine was: whether the phase
// was bound by CPU or by the latency of its writes. The JSON keys are
// stable.
type TasksCPUReport struct {
	// Drover is this process: the scheduler, the workers and the submit.
	Drover float64 `json:"tasks_cpu_drover_ms_per_task"`
	// ZooKeeper is the server's, when the bench started it (else absent).
	ZooKeeper float64 `json:"tasks_cpu_zookeeper_ms_per_task,omitempty"`
	// BusyCores is the whole machine's CPU use over the phase, in cores.
	BusyCores float64 `json:"tasks_busy_cores"`
}

// tasksCPU turns two samples (sampleCPU of this process as the scheduler)
// into the report for tasks.
func tasksCPU(before, after cpuSample, tasks int) *TasksCPUReport {
	c := cliCPU(before, after, 0, tasks)
	return &TasksCPUReport{Drover: c.Scheduler, ZooKeeper: c.ZooKeeper, BusyCores: c.BusyCores}
}
