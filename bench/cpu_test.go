package bench

import (
	"os"
	"testing"
	"time"
)

func TestParseProcStat(t *testing.T) {
	// Fields 14-17 are utime 7, stime 3, cutime 120, cstime 30 (ticks).
	line := "4242 (drover (a) b) S 1 4242 4242 0 -1 4194560 100 0 0 0 7 3 120 30 20 0 9 0 12345 100000 500"
	self, children, err := parseProcStat(line)
	if err != nil || self != 100*time.Millisecond || children != 1500*time.Millisecond {
		t.Fatalf("self %v, children %v, err %v", self, children, err)
	}
	for _, bad := range []string{"", "4242 drover S 1", "4242 (x) S 1 2 3", "4242 (x) S 1 4242 4242 0 -1 4194560 100 0 0 0 x 3 120 30 20"} {
		if _, _, err := parseProcStat(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	if _, _, err := procCPU(os.Getpid()); err != nil {
		t.Fatal(err)
	}
	if _, err := machineBusy(); err != nil {
		t.Fatal(err)
	}
}

func TestCLICPU(t *testing.T) {
	at := time.Now()
	before := cpuSample{at: at, machine: time.Second, workers: time.Second, commands: 2 * time.Second, scheduler: time.Second}
	after := cpuSample{at: at.Add(2 * time.Second), machine: 4 * time.Second, workers: 3 * time.Second,
		commands: 6 * time.Second, scheduler: 1500 * time.Millisecond}
	c := cliCPU(before, after, time.Second, 1000)
	want := CLICPUReport{Commands: 4, Workers: 2, Scheduler: 0.5, Clients: 1, BusyCores: 1.5}
	if *c != want || c.Total() != 7.5 {
		t.Fatalf("got %+v (total %v), want %+v", *c, c.Total(), want)
	}
}
