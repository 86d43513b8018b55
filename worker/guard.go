package worker

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// A worker's commands die with it when it is killed (kill -9, a crash): the
// kernel sends each command's own process Pdeathsig, but nothing reaches
// what that process started, which would run on beside the attempt's re-run
// elsewhere. So a process that runs commands also starts a guard: itself
// again (/proc/self/exe, with guardEnv naming its parent), a small process
// that reads the sessions of running commands from a pipe and, when the
// pipe ends (its writer is gone, however it ended), kills every session
// still listed. One guard serves every Worker of the process. A command is
// noted just after it starts: should the worker be killed in that moment,
// what the command started before the note runs on (Pdeathsig still kills
// the command itself).

// guardEnv, set to the parent's pid, starts a process as its parent's guard
// (see init): a stray variable in the environment of anything else does
// nothing, as its parent is another.
const guardEnv = "DROVER_WORKER_GUARD"

// guardPoll is how often the guard reads its pipe. It does not block in a
// read: a reader blocked on a pipe is woken by every write, two per command,
// and those wake-ups cost more than the commands' notes themselves. So the
// kill of what a dead worker left comes up to guardPoll late.
const guardPoll = 100 * time.Millisecond

func init() {
	if v := os.Getenv(guardEnv); v != "" && v == strconv.Itoa(os.Getppid()) {
		// The worker's Ctrl-C, SIGTERM or hang-up is the worker's to handle:
		// the guard outlives it, to kill what it leaves.
		signal.Ignore(syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
		if err := syscall.SetNonblock(0, true); err != nil {
			os.Exit(1)
		}
		g := newGroups()
		buf := make([]byte, 64<<10)
		for {
			n, err := syscall.Read(0, buf)
			switch {
			case n > 0:
				g.read(buf[:n])
			case n == 0 && err == nil: // the pipe ended: the worker is gone
				g.kill()
				os.Exit(0)
			case errors.Is(err, syscall.EAGAIN):
				time.Sleep(guardPoll)
			case errors.Is(err, syscall.EINTR):
			default:
				g.kill()
				os.Exit(1)
			}
		}
	}
}

// groups is the guard's list of the sessions of running commands, by the
// pid of each command, which leads its session and its process group
// (see commandAttr), kept from the lines "+PID" (started) and "-PID"
// (reaped).
type groups struct {
	live    map[int]bool
	partial []byte // a line cut by the read's end
}

func newGroups() *groups { return &groups{live: map[int]bool{}} }

func (g *groups) read(b []byte) {
	b = append(g.partial, b...)
	for {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			break
		}
		line := b[:i]
		b = b[i+1:]
		if len(line) < 2 {
			continue
		}
		pgid, err := strconv.Atoi(string(line[1:]))
		if err != nil || pgid <= 1 {
			continue
		}
		apply(g.live, line[0], pgid)
	}
	g.partial = append(g.partial[:0], b...)
}

// apply keeps live by a note: '+' a group started, '-' it was reaped. The
// worker keeps its list by the notes it sends, the guard by those it reads.
func apply(live map[int]bool, op byte, pgid int) {
	switch op {
	case '+':
		live[pgid] = true
	case '-':
		delete(live, pgid)
	}
}

// kill kills the sessions left, each leader's process group at once and
// then every process of them (see killSessions), and returns them.
func (g *groups) kill() []int {
	left := make([]int, 0, len(g.live))
	for sid := range g.live {
		_ = syscall.Kill(-sid, syscall.SIGKILL)
		left = append(left, sid)
	}
	killSessions(g.live, killWithin)
	return left
}

// guard is the worker side: the sessions of the commands running, and the
// pipe to the guard process that mirrors them.
type guard struct {
	mu    sync.Mutex
	live  map[int]bool
	w     *os.File  // nil: no guard running
	proc  *exec.Cmd // the guard process, while w is set
	tried time.Time // when a guard was last started, or failed to
	lost  time.Time // when one was last lost
	// losses counts the guards lost, for the workers' metrics.
	losses atomic.Int64
}

// processGuard is this process's: commands started while it has no guard
// running (it could not start one, or was killed by hand) rely on Pdeathsig
// alone until it starts one again, at most every guardRetry.
var processGuard = &guard{live: map[int]bool{}}

const guardRetry = 10 * time.Second

// start starts the guard, unless one runs. It returns why it could not.
func (g *guard) start() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.w != nil {
		return nil
	}
	return g.startLocked()
}

// startLocked starts a guard process and tells it the sessions running.
func (g *guard) startLocked() error {
	g.tried = time.Now()
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	cmd := exec.Command("/proc/self/exe")
	cmd.Env = []string{guardEnv + "=" + strconv.Itoa(os.Getpid())}
	cmd.Stdin = r
	// Its own process group: a terminal's Ctrl-C goes to the worker's.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		w.Close()
		return fmt.Errorf("start worker guard: %w", err)
	}
	// It ends when this process does (the pipe's end) or when a write to
	// it fails (see writeLocked, which kills it): this
	// goroutine reaps it then.
	go func() { _ = cmd.Wait() }()
	g.w, g.proc = w, cmd
	var all []byte
	for pgid := range g.live {
		all = appendNote(all, '+', pgid)
	}
	if len(all) > 0 {
		return g.writeLocked(all)
	}
	return nil
}

// errGuardLost says a guard stopped reading (gone, killed or stopped by
// hand) and was replaced, or that none runs; the caller logs it.
var errGuardLost = errors.New("worker guard lost")

// note tells the guard that a command's group started ('+') or was reaped
// ('-'). A guard that is gone or stops reading (a write waits a second at
// most: a stopped one is found out once the pipe is full) is replaced, at
// most every guardRetry; the error says what happened, for the log.
func (g *guard) note(op byte, pgid int) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	apply(g.live, op, pgid)
	var lost error
	if g.w != nil {
		if lost = g.writeLocked(appendNote(nil, op, pgid)); lost == nil {
			return nil
		}
	}
	// A lost guard is replaced at once, unless one was lost less than
	// guardRetry ago (guards that die as they start must not cost a fork
	// per note); a start that failed is tried again after guardRetry.
	wait := time.Since(g.tried) < guardRetry
	if lost != nil {
		wait, g.lost = time.Since(g.lost) < guardRetry, time.Now()
		g.losses.Add(1)
	}
	if wait {
		if lost != nil {
			return fmt.Errorf("%w (%w): another starts within %v; until then what commands start runs on should this process be killed", errGuardLost, lost, guardRetry)
		}
		return nil // said when it was lost
	}
	if err := g.startLocked(); err != nil {
		return fmt.Errorf("%w: %w; what commands start runs on should this process be killed", errGuardLost, err)
	}
	if lost != nil {
		return fmt.Errorf("%w (%w): another started, pid %d", errGuardLost, lost, g.proc.Process.Pid)
	}
	return fmt.Errorf("%w: another started, pid %d", errGuardLost, g.proc.Process.Pid)
}

// writeLocked writes to the guard, within a second (a guard stopped by hand
// reads nothing, and a full pipe would hold every command's start). On
// failure that guard is killed, not left to act on a list it no longer
// keeps: it would kill, at this process's end, sessions long reaped.
func (g *guard) writeLocked(b []byte) error {
	_ = g.w.SetWriteDeadline(time.Now().Add(time.Second))
	if _, err := g.w.Write(b); err != nil {
		// Killed before the pipe closes: a guard alive at the close would
		// kill every group it lists, running ones among them.
		_ = g.proc.Process.Kill()
		g.w.Close()
		g.w, g.proc = nil, nil
		return err
	}
	return nil
}

func appendNote(b []byte, op byte, pgid int) []byte {
	b = append(b, op)
	b = strconv.AppendInt(b, int64(pgid), 10)
	return append(b, '\n')
}
