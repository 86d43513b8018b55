package client

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// holdProxy forwards TCP to ZooKeeper and, once armed, holds back the
// first client bytes that contain its marker (a request) until released:
// the request reaches the server late, after what the test does meanwhile.
type holdProxy struct {
	ln      net.Listener
	target  string
	marker  atomic.Pointer[[]byte]
	held    chan struct{} // closed when the marked request is held
	release chan struct{} // closed by the test to let it go on
	once    sync.Once
}

func startHoldProxy(t *testing.T, target string) *holdProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &holdProxy{ln: ln, target: target, held: make(chan struct{}), release: make(chan struct{})}
	var conns sync.WaitGroup
	var mu sync.Mutex
	var open []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			mu.Lock()
			open = append(open, c, s)
			mu.Unlock()
			conns.Add(2)
			go func() { defer conns.Done(); _, _ = io.Copy(c, s); c.Close() }()
			go func() {
				defer conns.Done()
				defer s.Close()
				buf := make([]byte, 32<<10)
				for {
					n, err := c.Read(buf)
					if m := p.marker.Load(); m != nil && n > 0 && bytes.Contains(buf[:n], *m) {
						p.marker.Store(nil)
						p.once.Do(func() { close(p.held) })
						<-p.release
					}
					if n > 0 {
						if _, werr := s.Write(buf[:n]); werr != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		select {
		case <-p.release:
		default:
			close(p.release)
		}
		mu.Lock()
		for _, c := range open {
			c.Close()
		}
		mu.Unlock()
		conns.Wait()
	})
	return p
}

// getDataRequest is the body of a ZooKeeper getData request of path
// without a watch: its op code, the path, and the watch flag.
func getDataRequest(path string) []byte {
	b := binary.BigEndian.AppendUint32(nil, 4) // OpGetData
	b = binary.BigEndian.AppendUint32(b, uint32(len(path)))
	return append(append(b, path...), 0)
}

// A single-task wait that sees the result exist, and reads it after a
// retry took it away (the task queued again), waits on for the next
// result, as WaitAll does for one listed and gone before its read
// (TestWaitAllOutlivesAResultRetriedBetweenItsListingAndItsRead).
// WaitResultIn returned the read's ErrNoNode: drover wait and submit
// --wait failed, exit 1, with ZooKeeper's "node does not exist", for a
// task still going. (Found by review.)
func TestWaitOutlivesAResultRetriedBetweenItsExistsAndItsRead(t *testing.T) {
	root := drovertest.NewRoot()
	px := startHoldProxy(t, drovertest.Addr())
	c := New(drovertest.OpenStoreAt(t, px.ln.Addr().String(), root))
	st := drovertest.OpenStore(t, root)
	other := New(st)
	res, err := other.Submit(context.Background(), []TaskSpec{{Cmd: []string{"false"}}})
	if err != nil {
		t.Fatal(err)
	}
	id := res[0].ID
	// Once the wait has looked the task up (queued), it finishes, and the
	// wait's read of its result is held back.
	testHookWaitResult = func() {
		finishAllFailed(t, st, []string{id})
		m := getDataRequest(st.Layout().Result(id))
		px.marker.Store(&m)
	}
	t.Cleanup(func() { testHookWaitResult = nil })
	type outcome struct {
		task *store.Task
		err  error
	}
	done := make(chan outcome, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	go func() {
		task, err := c.Wait(ctx, id)
		done <- outcome{task, err}
	}()
	select {
	case <-px.held:
	case o := <-done:
		t.Fatalf("the wait ended before reading the result: %+v", o)
	case <-time.After(20 * time.Second):
		t.Fatal("the wait never read the result")
	}
	// Another client retries the task: its result goes, it is queued again.
	if _, err := other.Retry(id); err != nil {
		t.Fatal(err)
	}
	close(px.release)
	// It fails again: the wait's answer is this second result.
	drovertest.WaitFor(t, 10*time.Second, "the retried task queued", func() bool {
		_, _, err := st.Get(st.Layout().QueueItem(id))
		return err == nil
	})
	finishAllFailed(t, st, []string{id})
	o := <-done
	if o.err != nil || o.task == nil || o.task.Attempt != 2 {
		t.Fatalf("wait for a task retried as its result was read: %+v, %v; want it to wait for, and return, the second attempt's result", o.task, o.err)
	}
}
