package worker

import (
	"context"
	"runtime"
	"sync"
	"testing"

	"github.com/drover-sched/drover/store"
)

// The kernel sends Pdeathsig when the thread that started a command ends,
// not the process (prctl(2)). The Go runtime ends a thread whenever a
// goroutine exits while locked to it, as a handler may; a command must not be
// killed by that.
func TestCommandSurvivesEndedThreads(t *testing.T) {
	const commands = 8
	var wg sync.WaitGroup
	outs := make([]outcome, commands)
	for i := range commands {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i] = runCmd(t, context.Background(), &store.Task{Cmd: []string{"sleep", "1"}})
		}()
	}
	// End many threads while the commands run: each goroutine exits locked.
	stop := make(chan struct{})
	var enders sync.WaitGroup
	enders.Add(1)
	go func() {
		defer enders.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			done := make(chan struct{})
			go func() {
				defer close(done)
				runtime.LockOSThread()
			}()
			<-done
		}
	}()
	wg.Wait()
	close(stop)
	enders.Wait()
	for i, out := range outs {
		if !out.ok() {
			t.Errorf("command %d: exit %d, %q", i, out.ExitCode, out.Err)
		}
	}
}
