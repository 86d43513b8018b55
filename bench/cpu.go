package bench

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
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
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	if self, children, err = parseProcStat(string(data)); err != nil {
		return 0, 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	return self, children, nil
}

// parseProcStat reads utime+stime and cutime+cstime from a /proc/<pid>/stat
// line.
func parseProcStat(s string) (self, children time.Duration, err error) {
	// The command name, in parentheses, may hold spaces and parentheses:
	// count fields from after the last ')' (field 3, the state, is index 0).
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, 0, errors.New("no command name in " + strconv.Quote(s))
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 15 {
		return 0, 0, fmt.Errorf("%d fields after the command name, want 15 or more", len(f))
	}
	var t [4]int64 // utime, stime, cutime, cstime: fields 14-17
	for j := range t {
		if t[j], err = strconv.ParseInt(f[11+j], 10, 64); err != nil {
			return 0, 0, err
		}
	}
	return time.Duration(t[0]+t[1]) * clockTick, time.Duration(t[2]+t[3]) * clockTick, nil
}

// machineBusy reads the CPU time all cores spent on anything but idling
// (user, nice, system, irq, softirq), from /proc/stat.
func machineBusy() (time.Duration, error) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	line, _, _ := strings.Cut(string(data), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0, errors.New("/proc/stat: no cpu line")
	}
	var busy int64
	for _, j := range []int{1, 2, 3, 6, 7} {
		n, err := strconv.ParseInt(f[j], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/stat: %w", err)
		}
		busy += n
	}
	return time.Duration(busy) * clockTick, nil
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
