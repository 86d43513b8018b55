package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/procfs"
	"golang.org/x/sys/unix"
)

// orphanage makes drover dev the parent of every process its tasks leave
// behind: a daemon a task started, or a pipeline's stages once the second
// signal killed their worker. Linux reparents those to the nearest child
// subreaper instead of init, so dev can end them when it stops. While dev
// runs it reaps the ones that have exited already (the stragglers a worker
// kills with a task's group), so that they do not pile up as zombies.
//
// It never waits for one of dev's own children (own): os/exec reaps those,
// and a wait here would take their exit status.
type orphanage struct {
	self   int
	own    func() map[int]bool
	chld   chan os.Signal
	stop   chan struct{}
	done   chan struct{}
	killed map[int]bool // by Close
}

// adoptOrphans makes this process a child subreaper and starts reaping the
// orphans that exit. own must be safe to call from another goroutine.
func adoptOrphans(own func() map[int]bool) (*orphanage, error) {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return nil, fmt.Errorf("become a child subreaper: %w", err)
	}
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		return nil, fmt.Errorf("list child processes: %w", err)
	}
	o := &orphanage{self: os.Getpid(), own: own, chld: make(chan os.Signal, 1),
		stop: make(chan struct{}), done: make(chan struct{}), killed: map[int]bool{}}
	signal.Notify(o.chld, syscall.SIGCHLD)
	go func() {
		defer close(o.done)
		for {
			select {
			case <-o.chld:
				o.sweep(false)
			case <-o.stop:
				return
			}
		}
	}()
	return o, nil
}

// Close kills what is left of the orphans, each with its process group, and
// reaps them. A killed orphan's own children are adopted in turn, so it goes
// on until none is left or within has passed. It reports how many orphans
// were running when it came to them, and how many were still there at the
// end (a process stuck in the kernel can outlive SIGKILL for a while).
func (o *orphanage) Close(within time.Duration) (killed, left int) {
	close(o.stop)
	<-o.done
	defer signal.Stop(o.chld)
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	for {
		if left = o.sweep(true); left == 0 {
			return len(o.killed), 0
		}
		// An orphan that dies signals us, after its children are ours.
		select {
		case <-o.chld:
		case <-deadline.C:
			return len(o.killed), left
		}
	}
}

// sweep reaps the orphans that have exited and, with kill, kills the others.
// It returns how many are not reaped yet.
func (o *orphanage) sweep(kill bool) (left int) {
	own := o.own()
	ownGroup := syscall.Getpgrp()
	for pid, p := range childrenOf(o.self) {
		if own[pid] {
			continue
		}
		if p.state != 'Z' {
			if !kill {
				continue
			}
			if p.pgid > 1 && p.pgid != ownGroup {
				_ = syscall.Kill(-p.pgid, syscall.SIGKILL)
			}
			_ = syscall.Kill(pid, syscall.SIGKILL)
			o.killed[pid] = true
		}
		var ws unix.WaitStatus
		if got, err := unix.Wait4(pid, &ws, unix.WNOHANG, nil); err != nil || got != pid {
			left++
		}
	}
	return left
}

// proc is what childrenOf reads of a process.
type proc struct {
	state byte // R, S, D, Z, ...
	pgid  int
}

// childrenOf lists the processes whose parent is pid, from /proc.
func childrenOf(pid int) map[int]proc {
	kids := map[int]proc{}
	procs, err := procfs.AllProcs()
	if err != nil {
		return kids
	}
	for _, p := range procs {
		st, err := p.Stat()
		if err != nil || len(st.State) != 1 {
			continue // gone meanwhile
		}
		if st.PPID == pid {
			kids[p.PID] = proc{state: st.State[0], pgid: st.PGRP}
		}
	}
	return kids
}
