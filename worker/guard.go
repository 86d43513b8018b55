package worker

import (
	"bufio"
	"errors"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
)

// A worker's commands die with it when it is killed (kill -9, a crash): the
// kernel sends each command's own process Pdeathsig, but nothing reaches
// what that process started, which would run on beside the attempt's re-run
// elsewhere. So a process that runs commands also starts a guard: itself
// again (/proc/self/exe, with guardEnv naming its parent), a small process
// that reads the process groups of running commands from a pipe and, when
// the pipe ends (its writer is gone, however it ended), kills every group
// still listed. One guard serves every Worker of the process.

// guardEnv, set to the parent's pid, starts a process as its parent's guard
// (see init): a stray variable in the environment of anything else does
// nothing, as its parent is another.
const guardEnv = "DROVER_WORKER_GUARD"

func init() {
	if v := os.Getenv(guardEnv); v != "" && v == strconv.Itoa(os.Getppid()) {
		// The worker's Ctrl-C, SIGTERM or hang-up is the worker's to handle:
		// the guard outlives it, to kill what it leaves.
		signal.Ignore(syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
		guardGroups(os.Stdin)
		os.Exit(0)
	}
}

// guardGroups reads lines "+PGID" (a command started) and "-PGID" (its group
// reaped) until r ends, then kills the groups left. It returns those.
func guardGroups(r io.Reader) []int {
	groups := map[int]bool{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if len(line) < 2 {
			continue
		}
		pgid, err := strconv.Atoi(line[1:])
		if err != nil || pgid <= 1 {
			continue
		}
		switch line[0] {
		case '+':
			groups[pgid] = true
		case '-':
			delete(groups, pgid)
		}
	}
	left := make([]int, 0, len(groups))
	for pgid := range groups {
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		left = append(left, pgid)
	}
	return left
}

// guard is the worker side: the pipe's write end.
type guard struct {
	mu     sync.Mutex
	w      *os.File
	broken error
}

// processGuard starts this process's guard once; commands started before
// it runs, or after it failed, are unguarded (Pdeathsig alone).
var processGuard = sync.OnceValues(startGuard)

func startGuard() (*guard, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	cmd := exec.Command("/proc/self/exe")
	cmd.Env = []string{guardEnv + "=" + strconv.Itoa(os.Getpid())}
	cmd.Stdin = r
	// Its own process group: a terminal's Ctrl-C goes to the worker's.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		w.Close()
		return nil, err
	}
	// It ends when this process does (the pipe's end): this goroutine,
	// which reaps it, lives as long.
	go func() { _ = cmd.Wait() }()
	return &guard{w: w}, nil
}

// note tells the guard that a command's group started ('+') or was reaped
// ('-'). A guard that is gone (killed by hand) leaves commands unguarded.
func (g *guard) note(op byte, pgid int) {
	if g == nil {
		return
	}
	line := strconv.AppendInt([]byte{op}, int64(pgid), 10)
	line = append(line, '\n')
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.broken != nil {
		return
	}
	if _, err := g.w.Write(line); err != nil {
		g.broken = errors.Join(errors.New("worker guard gone"), err)
	}
}
