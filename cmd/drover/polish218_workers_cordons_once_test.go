package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/drover-sched/drover/zkserver"
)

// drover workers read every cordon twice: once in client.ListWorkers (its
// registrations, for each worker's STATE) and once more in
// noteStrayCordons (client.Cordons), for the cordons of no registered
// worker. Each read is a listing of cordons/ and a read of each cordon.
// Expected: one read per command, the output as before. Counted at the
// server: ZooKeeper's request count (srvr's Received) over one drover
// workers, with and without cordons; no test runs beside this one.
// (polish218)
func TestWorkersReadsTheCordonsOnce(t *testing.T) {
	root := newRoot()
	openStore(t, root) // the cluster's directories
	received := func() int64 {
		t.Helper()
		srvr, err := zkserver.FourLetter(zkAddr, "srvr")
		if err != nil {
			t.Fatal(err)
		}
		for line := range strings.Lines(srvr) {
			if v, ok := strings.CutPrefix(line, "Received: "); ok {
				n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
				if err != nil {
					t.Fatal(err)
				}
				return n
			}
		}
		t.Fatalf("srvr says no Received: %q", srvr)
		return 0
	}
	requests := func() (int64, result) {
		t.Helper()
		before := received()
		r := drover(t, root, "workers")
		return received() - before, r
	}
	base, r := requests()
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("workers: %+v", r)
	}
	const cordons = 200
	ids := make([]string, cordons)
	for i := range ids {
		ids[i] = fmt.Sprintf("p218-%03d", i)
	}
	if r := drover(t, root, append([]string{"workers", "cordon"}, ids...)...); r.code != 0 {
		t.Fatalf("cordon: %+v", r)
	}
	n, r := requests()
	want := "drover: cordoned, and not registered: p218-000, p218-001, p218-002, p218-003, p218-004, p218-005, p218-006, p218-007, p218-008, p218-009 and 190 more " +
		"(a worker of that id gets no work when it registers; drover workers uncordon ID lifts a cordon)\n"
	if r.code != 0 || r.stderr != want || r.stdout != "ID  HOST  LABELS  CAPACITY  RUNNING  WAITING  VERSION  STATE\n" {
		t.Errorf("workers with %d stray cordons: %+v; want no worker, and stderr %q", cordons, r, want)
	}
	// A read of the cordons: a listing and one request per cordon.
	if reads := math.Round(float64(n-base) / (cordons + 1)); reads != 1 {
		t.Errorf("drover workers: %d requests with %d cordons, %d with none: the cordons read %v times; want once", n, cordons, base, reads)
	}
}
