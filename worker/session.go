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

// ownerProbe is the file taken sets the owner of: its own, no command's,
// and one that signals no one (nil if it cannot be opened).
var ownerProbe = sync.OnceValue(func() *os.File {
	f, err := os.Open(os.DevNull)
	if err != nil {
		return nil
	}
	return f
})

// killSessions SIGKILLs every live process whose session is one of sids,
// and looks again until it finds none (a process can fork between the
// listing and its kill) or within has passed. With none left, that is one
// walk of /proc.
//
// The session ids are pids of commands: one that was reaped, with its
// session empty, could be another's by now; as a process group id can.
func killSessions(sids map[int]bool, within time.Duration) {
	deadline := time.Now().Add(within)
	for pause := time.Millisecond; killMembers(sids) > 0 && time.Now().Before(deadline); pause = min(2*pause, 50*time.Millisecond) {
		time.Sleep(pause) // for those killed to die
	}
}

// killMembers SIGKILLs the processes (not zombies) whose session is one of
// sids, and returns how many it found.
func killMembers(sids map[int]bool) (found int) {
	if len(sids) == 0 {
		return 0
	}
	dir, err := os.Open("/proc")
	if err != nil {
		return 0
	}
	names, _ := dir.Readdirnames(-1)
	dir.Close()
	var buf [512]byte
	for _, name := range names {
		if name[0] < '0' || name[0] > '9' {
			continue
		}
		pid, err := strconv.Atoi(name)
		if err != nil {
			continue
		}
		sid, state, ok := readStat(name, buf[:])
		if !ok || !sids[sid] || state == 'Z' || state == 'X' {
			continue // gone meanwhile, another session's, or dead
		}
		_ = syscall.Kill(pid, syscall.SIGKILL)
		found++
	}
	return found
}

// readStat reads the session and state of process pid from /proc/pid/stat
// into buf.
func readStat(pid string, buf []byte) (sid int, state byte, ok bool) {
	fd, err := syscall.Open("/proc/"+pid+"/stat", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return 0, 0, false
	}
	n, err := syscall.Read(fd, buf)
	syscall.Close(fd)
	if err != nil || n <= 0 {
		return 0, 0, false
	}
	return parseStat(buf[:n])
}

// parseStat is the session and state in a /proc/pid/stat line, "pid (comm)
// state ppid pgrp session ...": comm may hold anything, ")" and spaces
// among it, so the fields are counted from its last ")".
func parseStat(b []byte) (sid int, state byte, ok bool) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, false
	}
	// " state ppid pgrp session ..."
	f := b[i+1:]
	for field := range 4 {
		f = bytes.TrimLeft(f, " ")
		end := bytes.IndexAny(f, " \n")
		if end < 0 {
			end = len(f)
		}
		switch {
		case end == 0, field == 0 && end != 1:
			return 0, 0, false
		case field == 0:
			state = f[0]
		case field == 3:
			n, err := strconv.Atoi(string(f[:end]))
			return n, state, err == nil
		}
		f = f[end:]
	}
	return 0, 0, false
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
