package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/drover-sched/drover/drovertest"
)

// A scheduler or worker started with --http binds its port before it
// connects to ZooKeeper, and serves nothing on it until it has a session:
// while ZooKeeper is out of reach at its start (up to a session timeout,
// then exit 1 and, under the shipped units, a start again 2 s later, over
// and over through an outage) /metrics and /healthz take connections and
// never answer. A scrape hangs until the scraper's own timeout, and the
// process's drover_zookeeper_connected 0, the documented signal, is never
// seen: an endpoint that blocks on ZooKeeper when ZooKeeper is down.
// (Found by review123.)
func TestMetricsAnswerWhileConnectingToZooKeeper(t *testing.T) {
	for _, daemon := range [][]string{{"scheduler", "--id", "s1"}, {"worker", "--id", "w1"}} {
		t.Run(daemon[0], func(t *testing.T) {
			zk, accepted := silentServer(t)
			port := freePort(t)
			args := append([]string{"--zk", zk.Addr().String(), "--session-timeout", "1m"}, daemon...)
			args = append(args, "--http", fmt.Sprintf("127.0.0.1:%d", port))
			cmd := exec.Command(binary, args...)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			go func() { _ = cmd.Wait(); close(done) }()
			t.Cleanup(func() {
				_ = cmd.Process.Signal(syscall.SIGKILL)
				<-done
			})
			select {
			case <-accepted: // it is connecting, its port bound
			case <-time.After(30 * time.Second):
				t.Fatal("the daemon never tried ZooKeeper")
			}
			url := fmt.Sprintf("http://127.0.0.1:%d/metrics", port)
			type answer struct {
				code int
				body string
				err  error
			}
			got := make(chan answer, 1)
			go func() {
				r, err := http.Get(url)
				if err != nil {
					got <- answer{err: err}
					return
				}
				defer r.Body.Close()
				b, _ := io.ReadAll(r.Body)
				got <- answer{code: r.StatusCode, body: string(b)}
			}()
			var a answer
			answered := drovertest.Eventually(10*time.Second, func() bool {
				select {
				case a = <-got:
					return true
				default:
					return false
				}
			})
			switch {
			case !answered:
				t.Fatalf("%s while %s connects to ZooKeeper: its port is bound and takes the connection, and nothing answers", url, daemon[0])
			case a.err != nil:
				t.Logf("%s: %v (refused: not bound yet, a clear answer)", url, a.err)
			case a.code != http.StatusOK:
				t.Fatalf("%s while connecting: %d %s", url, a.code, a.body)
			}
		})
	}
}

// freePort is a loopback port free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// silentServer accepts connections and never answers, until the test ends:
// a ZooKeeper out of reach that a daemon stays connecting to. accepted
// has a value once a client connected.
func silentServer(t *testing.T) (net.Listener, <-chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan struct{}, 1)
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			select {
			case accepted <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln, accepted
}
