package worker

import (
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// An attempt whose start does not return (its exec slow or hung: the
// program on a network or FUSE file system whose server stopped
// answering) must not hold Run's stop: startCommand gives the start up when
// the attempt's context ends, and the command is killed should it start
// later (review132). The start is made to hang with testHookStart: a real
// hung exec cannot be tested in this process, as Go's vfork holds the
// runtime until the exec has read its program (the next garbage
// collection waits for it for ever; README, Workers, says so).
func TestStopEndsAnAttemptWhoseExecHangs(t *testing.T) {
	release, returned := make(chan struct{}), make(chan struct{})
	started := make(chan struct{}, 1)
	testHookStart = func(cmd *exec.Cmd) error {
		started <- struct{}{}
		<-release
		close(returned)
		return fmt.Errorf("exec hung, then failed")
	}
	t.Cleanup(func() { close(release); <-returned; testHookStart = nil })
	root := drovertest.NewRoot()
	st := drovertest.OpenStore(t, root)
	w, err := New(Config{ID: "w1", Commands: true, Store: st, Capacity: 2, DrainTimeout: time.Second, Log: drovertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	cancel, ran := runRegistered(t, w)
	assign(t, st, w, &store.Task{Cmd: []string{"true"}})
	select {
	case <-started:
	case <-time.After(20 * time.Second):
		t.Fatal("the command's start never began")
	}
	cancel() // as the second signal does
	select {
	case err := <-ran:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("Run did not return after its context ended while an attempt's start hung (stats %+v)", w.Stats())
	}
}

// hangingFS is a FUSE file system with one executable file, prog, whose
// reads get no reply until release.
type hangingFS struct {
	prog    string
	reading chan struct{} // closed at the first READ
	release func()
}

// mountHangingProgram mounts a hangingFS (root and /dev/fuse needed) until
// the test ends.
func mountHangingProgram(t *testing.T) *hangingFS {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a FUSE file system needs root")
	}
	fd, err := unix.Open("/dev/fuse", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Skipf("no /dev/fuse: %v", err)
	}
	mnt := filepath.Join(t.TempDir(), "mnt")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	opts := fmt.Sprintf("fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other", fd)
	if err := unix.Mount("review132", mnt, "fuse", unix.MS_NOSUID|unix.MS_NODEV, opts); err != nil {
		unix.Close(fd)
		t.Skipf("cannot mount FUSE: %v", err)
	}
	fs := &hangingFS{prog: mnt + "/prog", reading: make(chan struct{})}
	var mu sync.Mutex
	var held []uint64 // READs left unanswered
	released := false
	var once sync.Once
	reply := func(unique uint64, errno int32, body []byte) {
		out := make([]byte, 16+len(body))
		binary.LittleEndian.PutUint32(out[0:], uint32(len(out)))
		binary.LittleEndian.PutUint32(out[4:], uint32(errno))
		binary.LittleEndian.PutUint64(out[8:], unique)
		copy(out[16:], body)
		_, _ = unix.Write(fd, out)
	}
	fs.release = func() {
		mu.Lock()
		defer mu.Unlock()
		released = true
		for _, u := range held {
			reply(u, -int32(unix.EIO), nil)
		}
		held = nil
	}
	attr := func(b []byte, node uint64) {
		binary.LittleEndian.PutUint64(b[0:], node) // ino
		mode, size := uint32(unix.S_IFDIR|0o755), uint64(0)
		if node == 2 {
			mode, size = unix.S_IFREG|0o755, 64
		}
		binary.LittleEndian.PutUint64(b[8:], size)
		binary.LittleEndian.PutUint32(b[60:], mode)
		binary.LittleEndian.PutUint32(b[64:], 1)    // nlink
		binary.LittleEndian.PutUint32(b[80:], 4096) // blksize
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 1<<20+4096)
		for {
			n, err := unix.Read(fd, buf)
			if err != nil {
				if err == unix.EINTR || err == unix.EAGAIN {
					continue
				}
				return // unmounted
			}
			if n < 40 {
				continue
			}
			in := buf[:n]
			op := binary.LittleEndian.Uint32(in[4:])
			unique := binary.LittleEndian.Uint64(in[8:])
			node := binary.LittleEndian.Uint64(in[16:])
			switch op {
			case 26: // INIT
				out := make([]byte, 64)
				binary.LittleEndian.PutUint32(out[0:], 7)
				binary.LittleEndian.PutUint32(out[4:], 31)
				binary.LittleEndian.PutUint32(out[8:], binary.LittleEndian.Uint32(in[48:])) // max_readahead
				binary.LittleEndian.PutUint32(out[20:], 1<<20)                              // max_write
				reply(unique, 0, out)
			case 1: // LOOKUP
				name := string(in[40:n])
				if node != 1 || name != "prog\x00" {
					reply(unique, -int32(unix.ENOENT), nil)
					continue
				}
				out := make([]byte, 128)
				binary.LittleEndian.PutUint64(out[0:], 2)
				attr(out[40:], 2)
				reply(unique, 0, out)
			case 3: // GETATTR
				out := make([]byte, 104)
				attr(out[16:], node)
				reply(unique, 0, out)
			case 14, 27: // OPEN, OPENDIR
				reply(unique, 0, make([]byte, 16))
			case 15: // READ: no reply
				mu.Lock()
				if released {
					reply(unique, -int32(unix.EIO), nil)
				} else {
					held = append(held, unique)
				}
				mu.Unlock()
				once.Do(func() { close(fs.reading) })
			case 18, 25, 29: // RELEASE, FLUSH, RELEASEDIR
				reply(unique, 0, nil)
			case 2, 36, 42: // FORGET, INTERRUPT, BATCH_FORGET: no reply
			default:
				reply(unique, -int32(unix.ENOSYS), nil)
			}
		}
	}()
	t.Cleanup(func() {
		fs.release()
		_ = unix.Unmount(mnt, unix.MNT_DETACH)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
		}
		unix.Close(fd)
	})
	return fs
}
