package client

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
	"github.com/drover-sched/drover/zkserver"
)

// A follower is made to lag behind the ensemble's leader: it is stopped
// (SIGSTOP) while a backlog of writes, then the write under test, commit
// through the leader and the other follower; continued (SIGCONT), it takes
// a while to apply that backlog, and a reader on it meanwhile sees the
// state before the write. The stop must stay under syncLimit (5 ticks),
// after which the leader drops the follower ("transaction timeout"): it
// then syncs anew and closes its clients' connections, and the reader's
// next request fails with "connection lost". Under -race on a loaded
// machine the backlog takes more than 5 ticks of the default 500ms, so
// the ensemble runs with ticks of 2 s.
func lagFollower(t *testing.T, pid int, w *store.Store, dir string, write func() error) {
	t.Helper()
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatalf("stop follower pid %d: %v", pid, err)
	}
	stopped := true
	cont := func() {
		if stopped {
			stopped = false
			if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
				t.Errorf("continue follower pid %d: %v", pid, err)
			}
		}
	}
	defer cont()
	if err := w.Create(dir, nil); err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 50_000)
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for g := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 20 {
				if err := w.Create(fmt.Sprintf("%s/%d-%d", dir, g, j), data); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if err := write(); err != nil {
		t.Fatal(err)
	}
}

// lagTick is the tick of the lagging-server tests' ensembles: syncLimit
// (5 ticks, 10 s) outlasts lagFollower's stop on a loaded 2-core machine.
const lagTick = 2 * time.Second

// ensembleRoles returns the leader's and one follower's index.
func ensembleRoles(t *testing.T, addrs []string) (leader, follower int) {
	t.Helper()
	leader, follower = -1, -1
	for i, a := range addrs {
		ans, err := zkserver.FourLetter(a, "srvr")
		if err != nil {
			t.Fatal(err)
		}
		switch zkserver.Mode(ans) {
		case "leader":
			leader = i
		case "follower":
			follower = i
		}
	}
	if leader < 0 || follower < 0 {
		t.Fatalf("no leader and follower among %v", addrs)
	}
	return leader, follower
}

// A schedule another process just added is found by a client whose
// session is on a server that has not applied the add yet, as a task just
// submitted is: the lookup of a task syncs the server with the leader
// before it concludes the task is not there (LookupTaskIn), the look-up of
// a schedule by name (Schedule, and so RemoveSchedule, PauseSchedule,
// ResumeSchedule, TriggerSchedule) read it once and said "no such
// schedule". The client is the Go API's, held open (a service that keeps
// one, as the README's Go API section has it); ZooKeeper orders a session's
// own reads after its own writes only, not after another session's.
func TestScheduleFoundOnLaggingServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ens, err := zkserver.StartEnsemble(ctx, 3, zkserver.EnsembleConfig{TickTime: lagTick})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := ens.Stop(); err != nil {
			t.Errorf("stop ensemble: %v", err)
		}
	})
	var addrs []string
	for _, s := range ens.Servers() {
		addrs = append(addrs, s.Addr())
	}
	lead, fol := ensembleRoles(t, addrs)
	root := drovertest.NewRoot()
	writer := New(drovertest.OpenStoreAt(t, addrs[lead], root))
	// Its session outlives the follower's longest stop (syncLimit, 10 s).
	reader := New(drovertest.OpenStoreFor(t, addrs[fol], root, 20*time.Second))
	for i := range 3 {
		name := fmt.Sprintf("nightly-%d", i)
		var id string
		lagFollower(t, ens.Servers()[fol].Pid(), writer.st, fmt.Sprintf("%s/backlog-%d", root, i), func() error {
			res, err := writer.Submit(ctx, []TaskSpec{{Cmd: []string{"true"}}})
			if err != nil {
				return err
			}
			id = res[0].ID
			_, err = writer.AddSchedule(context.Background(), ScheduleSpec{Name: name, Cron: "@daily", Task: TaskSpec{Cmd: []string{"true"}}})
			return err
		})
		_, serr := reader.Schedule(context.Background(), name)
		_, terr := reader.Status(context.Background(), id)
		if terr != nil {
			t.Fatalf("round %d: task %s submitted before the schedule was added: %v", i, id, terr)
		}
		if errors.Is(serr, ErrNoSchedule) {
			t.Fatalf("round %d: schedule %s, added and acknowledged before, read on a server behind the leader: %v (task %s, submitted before it, found: its look-up syncs)",
				i, name, serr, id)
		}
		if serr != nil {
			t.Fatal(serr)
		}
	}
}
