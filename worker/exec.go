package worker

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/drover-sched/drover/store"
)

// outcome is how one run of a command ended.
type outcome struct {
	ExitCode int
	// Err explains an ending without an exit code of the command's own.
	Err            string
	Stdout, Stderr string
	// StdoutBytes and StderrBytes are how many bytes it wrote to each,
	// of which Stdout and Stderr are the end.
	StdoutBytes, StderrBytes int64
	Started, Ended           time.Time
	// guard is news of the process's guard (lost, replaced), for the log.
	guard error
	// hostFault: the command could not be started for want of the
	// worker's own resources (hostFault), not for anything of the task's.
	hostFault bool
	// final: the task is not to be retried (a handler's ErrSkipRetry).
	final bool
	// abandoned says why the command was left to itself, for the log: its
	// start or its death after a kill took longer than killWait.
	abandoned string
}

// ok reports a clean exit 0.
func (o outcome) ok() bool { return o.ExitCode == 0 && o.Err == "" }

// policy is what a worker allows the commands it runs.
type policy struct {
	// allow, when not empty, lists glob patterns (path.Match) that a
	// command's program must match, by absolute path or by name.
	allow []string
	// allowEnv, when not empty, lists glob patterns that each of a task's
	// variable names must match.
	allowEnv []string
	// cleanEnv runs commands with only PATH, the task's variables and
	// Drover's own, not the worker's environment.
	cleanEnv bool
	// cred, when set, is the user and group commands run as.
	cred *syscall.Credential
}

// taskVars are the variables the worker sets for each task itself.
var taskVars = map[string]bool{"DROVER_TASK_ID": true, "DROVER_ATTEMPT": true, "DROVER_RETRIES_LEFT": true,
	"DROVER_WORKER_ID": true, "DROVER_TASK_NAME": true}

// env is the policy's rule for a command task's variables.
func (p policy) env() store.EnvPolicy {
	return store.NewEnvPolicy(p.allow, p.allowEnv)
}

// allowed reports whether program, as the task gave it, at resolved (where
// PATH led, or the name as given when it led nowhere) may run under the
// allow-list, and its absolute path. A pattern without '/' admits a
// program given by name alone, as the PATH finds it: it admitted the name
// in any directory a task named (--allow echo ran DIR/echo, a copy of
// /bin/sh a task before had put there).
func (p policy) allowed(program, resolved string) (string, bool) {
	if len(p.allow) == 0 {
		return resolved, true
	}
	abs := resolved
	if a, err := filepath.Abs(abs); err == nil {
		abs = a
	}
	bare := !strings.Contains(program, "/")
	for _, pat := range p.allow {
		if !strings.Contains(pat, "/") {
			if ok, _ := path.Match(pat, filepath.Base(abs)); ok && bare {
				return abs, true
			}
			continue
		}
		if ok, _ := path.Match(pat, abs); ok {
			return abs, true
		}
	}
	return abs, false
}

// execute runs the attempt's command as the leader of a session of its own and
// waits for it. It kills the whole session on timeout, when ctx ends (the
// caller then discards the outcome), and after the main process exits so no
// stragglers remain.
func execute(ctx context.Context, task *store.Task, workerID string, limit int, now func() time.Time, pol policy) (res outcome) {
	return executeInto(ctx, task, workerID, newTail(limit), newTail(limit), now, pol)
}

// executeInto is execute keeping the output in stdout and stderr, which a
// follower's publisher reads while the command runs.
func executeInto(ctx context.Context, task *store.Task, workerID string, stdout, stderr *tail, now func() time.Time, pol policy) (res outcome) {
	program, args := task.Cmd[0], task.Cmd[1:]
	if task.Shell {
		program, args = "/bin/sh", []string{"-c", strings.Join(task.Cmd, " ")}
	}
	out := outcome{Started: now()}
	finish := func() outcome {
		out.Ended = now()
		out.Stdout, out.Stderr = stdout.String(), stderr.String()
		out.StdoutBytes, out.StderrBytes = stdout.Total(), stderr.Total()
		return out
	}
	// Without an allow-list the task's environment is its own to set; with
	// --allow-env, the names it lists are the rule, and the operator's.
	// (The leader places a task only where they may pass: store.EnvPolicy.)
	if name, unsafe := pol.env().Refused(store.EnvNames(task.Env)); unsafe {
		out.ExitCode, out.Err = 126, fmt.Sprintf("not allowed on this worker: env %s with an allow-list (it changes what a program runs)", name)
		return finish()
	} else if name != "" {
		out.ExitCode, out.Err = 126, fmt.Sprintf("not allowed on this worker: env %s (see --allow-env)", name)
		return finish()
	}
	env := taskEnv(task, workerID, pol.cleanEnv, pol.cred)
	list := pol.lookupPath(task.Env) // where program is looked up
	// command looks the program up, checks what it found against the
	// allow-list and builds a command that runs exactly that; denied is the
	// refused path.
	command := func() (cmd *exec.Cmd, remembered bool, denied string) {
		p, remembered, err := lookups.Load().pathIn(program, list)
		if err != nil {
			p = program // Start reports the lookup error (below)
		}
		abs, ok := pol.allowed(program, p)
		if !ok {
			return nil, false, abs
		}
		if err == nil && p != abs {
			// What was checked is the path cleaned; the path as written
			// may name another program (ALLOWED/link/../prog, which the
			// kernel resolves through the link, passed as ALLOWED/prog).
			if !sameFile(p, abs) {
				return nil, false, p + " (not the program " + abs + ")"
			}
			p = abs // exactly what was checked
		}
		cmd = exec.Command(p, args...)
		if err != nil {
			// Not looked up again in the worker's own PATH, which may find
			// what the PATH searched did not (a --clean-env worker's
			// /usr/sbin): the name was checked as a path of the working
			// directory, and only that could be allowed.
			cmd.Path, cmd.Err = program, err
		}
		cmd.Args[0] = program // argv[0] as the task wrote it
		cmd.Env = env
		cmd.SysProcAttr = commandAttr(pol.cred)
		cmd.Stdout, cmd.Stderr = stdout, stderr
		if f := devNull(); f != nil {
			cmd.Stdin = f
		}
		// A background child that keeps the output pipes open must not hold the
		// attempt: stop copying shortly after the main process exits.
		cmd.WaitDelay = outputWait
		return cmd, remembered, ""
	}

	// The timeout counts from before the start: an exec may hang (its
	// program on a file system gone silent).
	var timeout <-chan time.Time
	if d := task.Timeout.Duration(); d > 0 {
		var stop func()
		timeout, stop = timeoutAfter(d)
		defer stop()
	}
	cmd, remembered, denied := command()
	var err error
	if denied == "" {
		err = startCommand(ctx, cmd, timeout)
		if err != nil && remembered && movedAway(err) {
			// Moved or removed since it was looked up: look (and check) again.
			lookups.Load().forget(program, list)
			cmd, _, denied = command()
			if denied == "" {
				err = startCommand(ctx, cmd, timeout)
			}
		}
	}
	if denied != "" {
		out.ExitCode, out.Err = 126, fmt.Sprintf("not allowed on this worker: %s (see --allow)", denied)
		return finish()
	}
	if errors.Is(err, errStartAbandoned) {
		out.abandoned = "its program had not started when the attempt ended (a slow or hung exec: a file system not answering?); it is killed should it start"
		out.ExitCode = -1
		if ctx.Err() != nil {
			out.Err = "killed: " + context.Cause(ctx).Error()
		} else { // the timeout (a live context has no cause)
			out.Err = fmt.Sprintf("timeout after %v: its program had not started (a slow or hung exec)", task.Timeout.Duration())
		}
		return finish()
	}
	if err != nil {
		out.ExitCode, out.Err, out.hostFault = 127, "start: "+err.Error(), hostFault(err)
		if errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.ENOEXEC) {
			out.ExitCode = 126 // found but not executable, as a shell says (127: not found)
		}
		if errors.Is(err, syscall.ENOEXEC) {
			// A shell runs such a file as a script; exec does not.
			out.Err += " (a script without a #! line? add #!/bin/sh as its first line, or submit it with --shell)"
		}
		return finish()
	}
	sid := cmd.Process.Pid // of its session, and of its process group
	// The guard kills the session should this process die before reaping it.
	guarded := processGuard.note('+', sid)
	abandoned := false
	defer func() {
		if !abandoned {
			res.guard = errors.Join(guarded, processGuard.note('-', sid))
		}
	}()
	waited := make(chan error, 1)
	go func() {
		exitPolled(sid)
		waited <- cmd.Wait()
	}()
	// killed kills the session and waits for the reap, up to killWait: a
	// process in an uninterruptible sleep (a read from a FUSE or NFS server
	// gone silent) outlives SIGKILL for as long as that lasts, and held
	// the worker's stop with it. Then it is abandoned: its reap is waited
	// for apart, the guard keeping its session noted until then.
	killed := func() (error, bool) {
		killSession(sid)
		wait := time.NewTimer(killWait)
		defer wait.Stop()
		select {
		case err := <-waited:
			return err, true
		case <-wait.C:
			abandoned, out.abandoned = true, fmt.Sprintf("its process (pid %d) did not die within %v of SIGKILL (an uninterruptible sleep?)", sid, killWait)
			go func() {
				<-waited
				_ = processGuard.note('-', sid)
			}()
			return nil, false
		}
	}

	var werr error
	select {
	case werr = <-waited:
		killSession(sid) // stragglers
	case <-timeout:
		// What ended the main process decides, not whether the timeout was
		// seen before Wait returned: Wait also waits (up to outputWait) for a
		// child holding the output open, after the main process exited or
		// was killed by a signal not ours (the OOM killer, an operator).
		ended := exited(sid)
		var reaped bool
		if werr, reaped = killed(); !reaped {
			out.ExitCode, out.Err = -1, fmt.Sprintf("timeout after %v", task.Timeout.Duration())
			return finish()
		}
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ended && (!ok || ws.Signaled()) {
			out.ExitCode, out.Err = -1, fmt.Sprintf("timeout after %v", task.Timeout.Duration())
			return finish()
		}
		// It had ended on its own (or exited as the timeout fired): its own
		// exit code or signal stands.
	case <-ctx.Done():
		killed()
		out.ExitCode, out.Err = -1, "killed: "+context.Cause(ctx).Error()
		return finish()
	}
	out.ExitCode = cmd.ProcessState.ExitCode()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		out.Err = signalled(ws.Signal())
	} else if werr != nil && out.ExitCode == 0 && !errors.Is(werr, exec.ErrWaitDelay) {
		out.ExitCode, out.Err = -1, werr.Error()
	}
	return finish()
}

// signalled says which signal ended a process by its name and what it
// means ("killed by SIGKILL (killed)"): the description alone read
// "killed by signal killed".
func signalled(sig syscall.Signal) string {
	name := unix.SignalName(sig)
	if name == "" {
		name = "signal " + strconv.Itoa(int(sig))
	}
	return "killed by " + name + " (" + sig.String() + ")"
}

// commandAttr is how a command starts, run as cred's user when set. The
// leader of a session of its own (so of a process group, and without a
// controlling terminal), so a timeout or withdrawal kills everything it
// started, also what moved to a process group of its own (a shell's jobs
// under set -m, GNU timeout): see killSession. Killed by the kernel if the
// worker itself dies (kill -9), so a dead worker's attempt does not run on
// beside its re-run elsewhere (what it started, the guard kills: see
// guard.go).
func commandAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	// Not Setpgid too: setpgid fails (EPERM) in a session leader.
	return &syscall.SysProcAttr{Setsid: true, Pdeathsig: syscall.SIGKILL, Credential: cred}
}

// outputWait is how long a command's output is still read after its main
// process exits, while a background child holds the pipes open
// (exec.Cmd.WaitDelay); a variable for tests.
var outputWait = 200 * time.Millisecond

// exitPolled returns once pid, a child of this process not yet reaped, has
// exited, waited for through a pidfd in the runtime's poller: Wait blocks in
// waitid, which holds an OS thread for as long as the command runs, and a
// worker of capacity 10,000 needed more threads than Go allows (it died of
// thread exhaustion, and every command with it). It returns at once when no
// pidfd can be had (before Linux 5.3): Wait then waits as it does.
func exitPolled(pid int) {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return
	}
	f := os.NewFile(uintptr(fd), "pidfd") // non-blocking: in the poller
	defer f.Close()
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Read(func(uintptr) bool { return exited(pid) }) // readable once it has exited
}

// killWait bounds the wait for a killed command to die (see execute); a
// variable for tests.
var killWait = 2 * time.Second

// timeoutAfter starts a task's timeout: the channel fires when it has passed;
// stop releases it. A variable so tests choose the moment it fires.
var timeoutAfter = func(d time.Duration) (fired <-chan time.Time, stop func()) {
	t := time.NewTimer(d)
	return t.C, func() { t.Stop() }
}

// startCommand starts cmd from a spawner: a goroutine locked to its thread
// for the life of the process.
//
// Pdeathsig is sent when the thread that started a command ends, not the
// process (prctl(2)), and the Go runtime ends a thread whenever a goroutine
// exits locked to it (a handler may): a command started from an ordinary
// thread could be killed at any time. Spawners never end, so their commands
// die only with the process. A start that finds none idle adds one, up to
// maxSpawners (one OS thread each), so a slow exec delays only itself (one
// that hangs for good holds its thread's P, and the next garbage collection
// waits for it: see ARCHITECTURE.md, Workers); past
// that, starts wait for a spawner. Locking each attempt's own goroutine until
// its command is reaped would cost ~10% more CPU per attempt instead: its
// every wake-up must reach that thread.
//
// An exec may hang (its program on a file system gone silent): when ctx
// ends or expired fires first, the start is given up (errStartAbandoned;
// expired's tick is then taken), and the command, should it start after
// all, killed and reaped apart.
func startCommand(ctx context.Context, cmd *exec.Cmd, expired <-chan time.Time) error {
	r := spawnReq{cmd: cmd, done: make(chan error, 1)}
	select {
	case spawns <- r: // an idle spawner took it
	default:
		if spawners.Add(1) <= maxSpawners {
			go spawner(r)
		} else {
			spawners.Add(-1)
			select {
			case spawns <- r:
			case <-ctx.Done():
				return errStartAbandoned
			case <-expired:
				return errStartAbandoned
			}
		}
	}
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
	case <-expired:
	}
	go func() {
		if err := <-r.done; err == nil {
			killSession(cmd.Process.Pid)
			exitPolled(cmd.Process.Pid) // as execute waits: no thread held meanwhile
			_ = cmd.Wait()
		}
	}()
	return errStartAbandoned
}

// errStartAbandoned is a command's start given up: its exec had not
// returned when its attempt ended (see startCommand).
var errStartAbandoned = errors.New("start abandoned: the exec had not returned")

// spawner starts first, then whatever startCommand hands it, for ever.
func spawner(first spawnReq) {
	runtime.LockOSThread() // never unlocked: the thread outlives every command it starts
	first.done <- start(first.cmd)
	for r := range spawns {
		r.done <- start(r.cmd)
	}
}

// testHookStart, when set by a test, starts commands in place of
// exec.Cmd.Start (to fail as a worker out of resources does).
var testHookStart func(*exec.Cmd) error

func start(cmd *exec.Cmd) error {
	if testHookStart != nil {
		return testHookStart(cmd)
	}
	return cmd.Start()
}

// hostFault reports whether a start failed for want of the worker's own
// resources: its open files (pipe2: EMFILE, ENFILE), its processes
// (fork: EAGAIN under RLIMIT_NPROC), its memory (ENOMEM). The task is not
// at fault, and its attempt counts as lost, not against its retries.
func hostFault(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) ||
		errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.ENOMEM)
}

type spawnReq struct {
	cmd  *exec.Cmd
	done chan error
}

// maxSpawners bounds the spawner threads: starts take a millisecond, so more
// than a few at once means execs that hang.
const maxSpawners = 16

var (
	spawns   = make(chan spawnReq)
	spawners atomic.Int32
)

// movedAway reports whether a start failed as one does when the program is
// no longer where PATH led before.
func movedAway(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) || errors.Is(err, syscall.EACCES)
}

// devNull is one /dev/null kept open for every command's stdin: exec would
// open and close it for each command (2-3% of a worker's CPU running `true`).
// Nil if it cannot be opened; exec then opens its own.
var devNull = sync.OnceValue(func() *os.File {
	f, err := os.Open(os.DevNull)
	if err != nil {
		return nil
	}
	return f
})

// identities caches identityEnv's answers by uid.
var identities sync.Map

// identityEnv is HOME, USER and LOGNAME of the user uid: a command run as
// another user took the worker's (root's home, for its dotfiles). None when
// the user is unknown.
func identityEnv(uid uint32) []string {
	if v, ok := identities.Load(uid); ok {
		return v.([]string)
	}
	var env []string
	if u, err := user.LookupId(strconv.FormatUint(uint64(uid), 10)); err == nil {
		env = []string{"HOME=" + u.HomeDir, "USER=" + u.Username, "LOGNAME=" + u.Username}
	}
	identities.Store(uid, env)
	return env
}

// sameFile reports whether paths a and b name the same file, or neither
// names one.
func sameFile(a, b string) bool {
	fa, erra := os.Stat(a)
	fb, errb := os.Stat(b)
	if erra != nil || errb != nil {
		return erra != nil && errb != nil
	}
	return os.SameFile(fa, fb)
}

// defaultPath is the PATH a worker gives its commands when it has none of
// its own, or runs them with --clean-env.
const defaultPath = "/usr/local/bin:/usr/bin:/bin"

// lookupPath is where the worker looks up the program of a task with env:
// in the PATH its command gets. That is the task's own PATH when it sets
// one (refused with an allow-list), else "" for the worker's own, or
// defaultPath when the worker has none or cleans its commands' environment
// (it looked in its own, empty, PATH: `echo` was not found).
func (p policy) lookupPath(env map[string]string) string {
	if v, ok := env["PATH"]; ok {
		if v == "" {
			return ":" // no directory: nothing is found
		}
		return v
	}
	if _, ok := os.LookupEnv("PATH"); ok && !p.cleanEnv {
		return ""
	}
	return defaultPath
}

// secretEnv names the worker's own variables a command never sees: its
// ZooKeeper credentials (any submitter could print them, and any reader of
// results read them).
var secretEnv = []string{"DROVER_ZK_AUTH", "DROVER_ZK_AUTH_READONLY"}

// taskEnv is the worker's environment (but its secrets) plus the task's
// variables and Drover's own; run as cred's user, with that user's HOME,
// USER and LOGNAME.
func taskEnv(task *store.Task, workerID string, clean bool, cred *syscall.Credential) []string {
	env := []string{"PATH=" + defaultPath}
	if !clean {
		// The worker's own task variables (a worker started by a Drover
		// task has them) are not this task's: an unnamed task would claim
		// the worker's schedule slot.
		own := slices.DeleteFunc(os.Environ(), func(kv string) bool {
			name, _, _ := strings.Cut(kv, "=")
			return slices.Contains(secretEnv, name) || store.SlotEnvName(name) || taskVars[name]
		})
		if _, ok := os.LookupEnv("PATH"); ok {
			env = own // its own PATH, not the default
		} else {
			env = append(env, own...) // a worker started with no PATH
		}
	}
	if cred != nil {
		env = append(env, identityEnv(cred.Uid)...)
	}
	for k, v := range task.Env {
		env = append(env, k+"="+v)
	}
	env = append(env,
		"DROVER_TASK_ID="+task.ID,
		"DROVER_ATTEMPT="+strconv.Itoa(task.Attempt),
		"DROVER_RETRIES_LEFT="+strconv.Itoa(task.RetriesLeft()),
		"DROVER_WORKER_ID="+workerID,
	)
	if task.Name != "" {
		env = append(env, "DROVER_TASK_NAME="+task.Name)
	}
	return env
}
