package worker

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Each command leads a session of its own (see commandAttr), whose id is
// its pid. Killing its process group misses what the command started in
// groups of their own (a shell's jobs under set -m, GNU timeout, Python's
// process_group=0): they stay in the session, found by a walk of /proc. A
// process that starts a session of its own (setsid) leaves it, and only a
// cgroup (the systemd unit's) still holds it.

// killWithin bounds how long a session's kill goes on finding what its
// processes forked meanwhile, or what does not die at once (a process in
// an uninterruptible sleep).
const killWithin = time.Second

// killSession SIGKILLs the session sid: its leader's process group at
// once, then every process of the session (see killSessions), unless none
// is left.
func killSession(sid int) {
	_ = syscall.Kill(-sid, syscall.SIGKILL)
	if taken(sid) {
		killSessions(map[int]bool{sid: true}, killWithin)
	}
}

// taken reports whether a process may still have the number id as its pid,
// process group or session id. After most commands none has: the leader is
// reaped and its session empty, and the walk of /proc (a millisecond or
// more with a hundred processes, a third of the CPU that running `true`
// costs) is spared. The kernel keeps a number taken while any process has
// it as one of the three, and F_SETOWN to a process group fails with ESRCH
// for a number not taken (Linux 4.17 on; before, it is always "taken").
func taken(id int) bool {
	f := ownerProbe()
	if f == nil {
		return true
	}
	if _, err := unix.FcntlInt(f.Fd(), unix.F_SETOWN, -id); err != nil {
		return !errors.Is(err, unix.ESRCH)
	}
	_, _ = unix.FcntlInt(f.Fd(), unix.F_SETOWN, 0) // not to pin it
	return true
}

// takenTells reports whether taken can tell a number free on this host: a
// kernel before 4.17 (or a /dev/null that did not open) says "taken" for
// every number. A number above PID_MAX_LIMIT (2^22) is never taken.
func takenTells() bool {
	f := ownerProbe()
	if f == nil {
		return false
	}
	_, err := unix.FcntlInt(f.Fd(), unix.F_SETOWN, -(1<<22 + 1))
	if err == nil {
		_, _ = unix.FcntlInt(f.Fd(), unix.F_SETOWN, 0)
	}
	return errors.Is(err, unix.ESRCH)
}

// ownerProbe is the file taken sets the owner of: its own, no command's,
// and one that signals no one (nil if it cannot be opened, tried again at
// the next call: a moment out of file descriptors must not last).
var ownerProbe = func() *os.File {
	probe.mu.Lock()
	defer probe.mu.Unlock()
	if probe.f == nil {
		probe.f, _ = os.Open(os.DevNull)
	}
	return probe.f
}

var probe struct {
	mu sync.Mutex
	f  *os.File
}

// killSessions SIGKILLs every live process whose session is one of sids,
// and looks again until within has passed or a walk finds none alive and
// none missed: a process can fork between the listing and its kill, and a
// chain of forks whose parents exit at once can have no member listed at
// all (the parent gone before its stat is read, the child born after the
// listing), so a session whose number is still taken (see taken) though
// the walk saw no process of it, nor one of that pid, is walked again
// (where taken can tell: see takenTells). Each process found is killed with its process group, which a fork
// cannot outrun (the kernel makes a fork that a group's signal reaches
// meanwhile fail and start again). With none left, that is one walk of
// /proc.
//
// The session ids are pids of commands: one that was reaped, with its
// session empty, could be another's by now; as a process group id can.
// It returns how many walks it made.
func killSessions(sids map[int]bool, within time.Duration) (walks int) {
	deadline := time.Now().Add(within)
	tells := takenTells()
	for pause := time.Millisecond; ; pause = min(2*pause, 50*time.Millisecond) {
		live, seen := killMembers(sids)
		walks++
		missed := false
		for sid := range sids {
			if tells && !seen[sid] && taken(sid) {
				missed = true
				break
			}
		}
		if live == 0 && !missed || !time.Now().Before(deadline) {
			return walks
		}
		time.Sleep(pause) // for those killed to die
	}
}

// killMembers SIGKILLs the live processes whose session is one of sids,
// and the process group of each process of them it finds, and returns how many it found and the
// sessions it saw a process of (a zombie too) or a process with that pid.
func killMembers(sids map[int]bool) (live int, seen map[int]bool) {
	seen = map[int]bool{}
	if len(sids) == 0 {
		return 0, seen
	}
	dir, err := os.Open("/proc")
	if err != nil {
		return 0, seen
	}
	names, _ := dir.Readdirnames(-1)
	dir.Close()
	var buf [512]byte
	killed := map[int]bool{} // process groups
	for _, name := range names {
		if name[0] < '0' || name[0] > '9' {
			continue
		}
		pid, err := strconv.Atoi(name)
		if err != nil {
			continue
		}
		if sids[pid] {
			seen[pid] = true // the number's holder, whatever its session
		}
		st, ok := readStat(name, buf[:])
		if !ok || !sids[st.sid] {
			continue // gone meanwhile, or another session's
		}
		seen[st.sid] = true
		// Its group, a dead process's too: what it forked before it died
		// is there, born after the listing or not. A group never spans
		// sessions.
		if !killed[st.pgrp] {
			killed[st.pgrp] = true
			_ = syscall.Kill(-st.pgrp, syscall.SIGKILL)
		}
		// A zombie is dead, unless its main thread alone ended and other
		// threads run on (pthread_exit): stat shows it as Z all the same.
		if st.state == 'X' || st.state == 'Z' && st.threads <= 1 {
			continue
		}
		_ = syscall.Kill(pid, syscall.SIGKILL)
		live++
	}
	return live, seen
}

// procStat is what a walk of /proc reads of a process.
type procStat struct {
	state     byte
	pgrp, sid int
	threads   int
}

// readStat reads process pid's /proc/pid/stat into buf and parses it.
func readStat(pid string, buf []byte) (procStat, bool) {
	fd, err := syscall.Open("/proc/"+pid+"/stat", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return procStat{}, false
	}
	n, err := syscall.Read(fd, buf)
	syscall.Close(fd)
	if err != nil || n <= 0 {
		return procStat{}, false
	}
	return parseStat(buf[:n])
}

// parseStat reads the state, process group, session and thread count of
// a /proc/pid/stat line, "pid (comm) state ppid pgrp session tty_nr tpgid
// flags minflt cminflt majflt cmajflt utime stime cutime cstime priority
// nice num_threads ...": comm may hold anything, ")" and spaces among it,
// so the fields are counted from its last ")".
func parseStat(b []byte) (st procStat, ok bool) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, false
	}
	f := b[i+1:]
	for field := range 18 {
		f = bytes.TrimLeft(f, " ")
		end := bytes.IndexAny(f, " \n")
		if end < 0 {
			end = len(f)
		}
		if end == 0 || field == 0 && end != 1 {
			return procStat{}, false
		}
		var n int
		if field == 2 || field == 3 || field == 17 {
			var err error
			if n, err = strconv.Atoi(string(f[:end])); err != nil {
				return procStat{}, false
			}
		}
		switch field {
		case 0:
			st.state = f[0]
		case 2:
			st.pgrp = n
		case 3:
			st.sid = n
		case 17:
			st.threads = n
			return st, true
		}
		f = f[end:]
	}
	return procStat{}, false
}

// exited reports whether the command's main process pid has ended, without
// reaping it: it is a zombie, or its Wait has reaped it already (its number
// is not another's meanwhile, while its session has a process left).
func exited(pid int) bool {
	var info unix.Siginfo
	err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil)
	if err != nil {
		return errors.Is(err, unix.ECHILD)
	}
	return info.Signo == int32(unix.SIGCHLD) // zeroed when it runs on
}
