package client

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/zkserver"
)

// A key another process just gave is found by a client whose session is
// on a server that has not applied that submit yet, as a task id is: a
// task's look-up syncs the server with the ensemble's leader before it
// says the task is not there (TestScheduleFoundOnLaggingServer), and
// README's order "drover submit --key extract ...; drover submit
// --after-key extract ..." must not be refused, exit 2, "no task has this
// key" because the second process's session landed on a follower behind.
func TestReview218AfterKeyFoundOnLaggingServer(t *testing.T) {
	if testing.Short() {
		t.Skip("a three-server ensemble with a follower made to lag: some 15 s")
	}
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
	reader := New(drovertest.OpenStoreFor(t, addrs[fol], root, 20*time.Second))
	for i := range 3 {
		key := fmt.Sprintf("extract-%d", i)
		var id string
		lagFollower(t, ens.Servers()[fol].Pid(), writer.st, fmt.Sprintf("%s/backlog-%d", root, i), func() error {
			res, err := writer.Submit(ctx, []TaskSpec{{Cmd: []string{"true"}, Key: key}})
			if err == nil {
				id = res[0].ID
			}
			return err
		})
		res, err := reader.Submit(context.Background(), []TaskSpec{{Cmd: []string{"true"}, AfterKey: []string{key}}})
		if errors.Is(err, ErrInvalid) {
			t.Fatalf("round %d: after_key %q, given (task %s) and acknowledged before, read on a server behind the leader: %v", i, key, id, err)
		}
		if err != nil {
			t.Fatal(err)
		}
		task, err := reader.Status(context.Background(), res[0].ID)
		if err != nil || len(task.After) != 1 || task.After[0] != id {
			t.Fatalf("round %d: the waiting task %+v (%v), want after [%s]", i, task, err, id)
		}
	}
}
