package bench

import (
	"os"
	"testing"
	"time"
)

func TestProcCPU(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	if self, _, err := procCPU(os.Getpid()); err != nil || self < 0 {
		t.Fatalf("this process's CPU: %v, %v", self, err)
	}
	if busy, err := machineBusy(); err != nil || busy <= 0 {
		t.Fatalf("the machine's busy CPU: %v, %v", busy, err)
	}
	if _, _, err := procCPU(1 << 30); err == nil {
		t.Fatal("no error for a pid that cannot exist")
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
