package zkserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

func TestFind(t *testing.T) {
	java, cp, err := Find()
	if err != nil {
		t.Fatal(err)
	}
	if java == "" || !strings.Contains(cp, DefaultJar) {
		t.Fatalf("Find() = %q, %q", java, cp)
	}

	t.Setenv("DROVER_ZK_CLASSPATH", "/opt/zookeeper/lib/*")
	if _, cp, err := Find(); err != nil || cp != "/opt/zookeeper/lib/*" {
		t.Fatalf("with DROVER_ZK_CLASSPATH: %q, %v", cp, err)
	}

	t.Setenv("PATH", t.TempDir()) // no java
	_, _, err = Find()
	if !errors.Is(err, ErrNotInstalled) {
		t.Fatalf("without java: %v, want ErrNotInstalled", err)
	}
	if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, "apt-get install -y zookeeper") {
		t.Fatalf("message is not one helpful line: %q", msg)
	}
	if _, err := Start(context.Background(), Config{}); !errors.Is(err, ErrNotInstalled) {
		t.Fatalf("Start without java: %v, want ErrNotInstalled", err)
	}
}

func TestStartStop(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := Start(ctx, Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	if ans, err := FourLetter(s.Addr(), "ruok"); err != nil || ans != "imok" {
		t.Fatalf("ruok: %q %v", ans, err)
	}
	if s.Addr() != fmt.Sprintf("127.0.0.1:%d", s.Port()) || s.Pid() <= 0 {
		t.Fatalf("Addr %s, Port %d, Pid %d", s.Addr(), s.Port(), s.Pid())
	}
	dir := s.DataDir()
	if _, err := os.Stat(filepath.Join(dir, "zoo.cfg")); err != nil {
		t.Fatal(err)
	}
	if log, err := os.ReadFile(filepath.Join(dir, "server.log")); err != nil || !bytes.Contains(log, []byte("binding to port")) {
		t.Fatalf("server.log has no server log (%v):\n%s", err, log)
	}
	// Its old snapshots and logs are purged (a long drover dev filled its
	// data directory): ZooKeeper says it took the setting.
	if log, _ := os.ReadFile(filepath.Join(dir, "server.log")); !bytes.Contains(log, []byte("autopurge.purgeInterval set to 1")) {
		t.Errorf("server.log does not say autopurge.purgeInterval set to 1 (%d bytes):\n%s", len(log), log)
	}

	// Stop is idempotent and safe to call concurrently.
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Stop(); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if _, err := FourLetter(s.Addr(), "ruok"); err == nil {
		t.Fatal("server answers after Stop")
	}
	if s.Running() || s.Pid() != 0 {
		t.Fatalf("Running %v, Pid %d after Stop", s.Running(), s.Pid())
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("temporary data dir %s left behind: %v", dir, err)
	}
}

func TestKillRestartKeepsData(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := t.TempDir()
	s, err := Start(ctx, Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	create(t, s.Addr(), "/kept", "before kill")
	port, pid := s.Port(), s.Pid()

	if err := s.Kill(); err != nil {
		t.Fatal(err)
	}
	if _, err := FourLetter(s.Addr(), "ruok"); err == nil {
		t.Fatal("server answers after Kill")
	}
	if err := s.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Restart(ctx); err == nil {
		t.Fatal("Restart of a running server succeeded")
	}
	if ans, err := FourLetter(s.Addr(), "ruok"); err != nil || ans != "imok" {
		t.Fatalf("ruok after restart: %q %v", ans, err)
	}
	if s.Port() != port || s.Pid() == pid || s.DataDir() != dir {
		t.Fatalf("after restart: port %d (was %d), pid %d (was %d), dir %s", s.Port(), port, s.Pid(), pid, s.DataDir())
	}
	if got := get(t, s.Addr(), "/kept"); got != "before kill" {
		t.Fatalf("data after restart: %q", got)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "zoo.cfg")); err != nil {
		t.Fatalf("Stop removed a data dir it did not create: %v", err)
	}
}

func TestStartFailureReportsLog(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	var out lockedBuffer
	_, err = Start(context.Background(), Config{Port: port, Stdout: &out})
	if err == nil {
		t.Fatal("Start on a busy port succeeded")
	}
	if !strings.Contains(err.Error(), "Address already in use") {
		t.Fatalf("error lacks the server's log:\n%v", err)
	}
	if !strings.Contains(out.String(), "Address already in use") {
		t.Fatalf("Stdout did not get the log:\n%s", out.String())
	}

	// An ended context ends the wait, and the server is stopped.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Start(ctx, Config{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Start with a cancelled context: %v", err)
	}
}

func TestEnsemble(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e, err := StartEnsemble(ctx, 3, EnsembleConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Stop()
	servers := e.Servers()
	if len(servers) != 3 || len(strings.Split(e.Connect(), ",")) != 3 {
		t.Fatalf("%d servers, connect %q", len(servers), e.Connect())
	}
	modes := modesOf(t, servers)
	leader := -1
	for i, m := range modes {
		if m == "leader" {
			leader = i
		}
	}
	if leader < 0 {
		t.Fatalf("no leader: %v", modes)
	}
	create(t, e.Connect(), "/ensemble", "replicated")

	// Kill the leader: the other two elect a new one and keep serving.
	if err := servers[leader].Kill(); err != nil {
		t.Fatal(err)
	}
	if err := e.WaitReady(ctx); err != nil {
		t.Fatalf("quorum after losing the leader: %v", err)
	}
	for i, s := range servers {
		if i == leader {
			continue
		}
		ans, err := FourLetter(s.Addr(), "srvr")
		if err != nil || Mode(ans) == "" {
			t.Fatalf("member %d after the leader's death: %q %v", i, ans, err)
		}
		if got := get(t, s.Addr(), "/ensemble"); got != "replicated" {
			t.Fatalf("member %d has %q", i, got)
		}
	}
	if err := e.Restart(ctx, leader); err != nil {
		t.Fatal(err)
	}

	// Stop a member (its data goes): restarted, it catches up from the others.
	other := (leader + 1) % 3
	if err := servers[other].Stop(); err != nil {
		t.Fatal(err)
	}
	if err := e.Restart(ctx, other); err != nil {
		t.Fatal(err)
	}
	modes = modesOf(t, servers)
	if got := get(t, servers[other].Addr(), "/ensemble"); got != "replicated" {
		t.Fatalf("restarted member has %q", got)
	}

	var dirs []string
	for _, s := range servers {
		dirs = append(dirs, s.DataDir())
	}
	if err := e.Stop(); err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if _, err := os.Stat(d); !os.IsNotExist(err) {
			t.Fatalf("data dir %s left behind: %v", d, err)
		}
	}
	t.Logf("modes after restarts: %v", modes)
}

func modesOf(t *testing.T, servers []*Server) []string {
	t.Helper()
	var ms []string
	for i, s := range servers {
		ans, err := FourLetter(s.Addr(), "srvr")
		if err != nil || Mode(ans) == "" {
			t.Fatalf("member %d: srvr %q %v", i, ans, err)
		}
		ms = append(ms, Mode(ans))
	}
	return ms
}

type quietLogger struct{}

func (quietLogger) Printf(string, ...any) {}

func connect(t *testing.T, servers string) *zk.Conn {
	t.Helper()
	c, _, err := zk.Connect(strings.Split(servers, ","), 5*time.Second, zk.WithLogger(quietLogger{}), zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func create(t *testing.T, servers, path, data string) {
	t.Helper()
	c := connect(t, servers)
	defer c.Close()
	if _, err := c.Create(path, []byte(data), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatalf("create %s: %v", path, err)
	}
}

func get(t *testing.T, servers, path string) string {
	t.Helper()
	c := connect(t, servers)
	defer c.Close()
	b, _, err := c.Get(path)
	if err != nil {
		t.Fatalf("get %s: %v", path, err)
	}
	return string(b)
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A server stopped just after it made a new transaction log leaves the file
// shorter than its header, and ZooKeeper before 3.9.3 then refuses to start
// (ZOOKEEPER-2332; it took a member out of the chaos suite's ensemble).
// Restart removes it, the newest log only, and the data written before
// stands.
func TestRestartAfterAnEmptyLastTxnLog(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := t.TempDir()
	s, err := Start(ctx, Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	create(t, s.Addr(), "/kept", "before the stop")
	if err := s.Halt(); err != nil {
		t.Fatal(err)
	}
	logs, err := filepath.Glob(filepath.Join(dir, "version-2", "log.*"))
	if err != nil || len(logs) == 0 {
		t.Fatalf("no transaction log in %s (%v)", dir, err)
	}
	empty := filepath.Join(dir, "version-2", "log.ffffffffff")
	if err := os.WriteFile(empty, []byte{0x5a, 0x4b}, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.Restart(ctx); err != nil {
		t.Fatalf("restart with an empty newest transaction log: %v", err)
	}
	if got := get(t, s.Addr(), "/kept"); got != "before the stop" {
		t.Fatalf("data after restart: %q", got)
	}
	if _, err := os.Stat(empty); !os.IsNotExist(err) {
		t.Fatalf("the empty log is still there (%v)", err)
	}
	for _, p := range logs {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("an older log went: %v", err)
		}
	}
}

// Start on a port that another ZooKeeper already serves must fail: its own
// server cannot bind there and exits, but until it does the other one
// answers "ruok" and "srvr", and Start takes those answers for its own
// server's. It returns a Server whose process has exited and whose Addr is
// another process's (a second `drover dev` racing the first past its port
// check runs its schedulers and workers against the first's ZooKeeper, and
// a Restart on a port taken meanwhile reports the same success).
func TestStartOnAPortAnotherServerServes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	other, err := Start(ctx, Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Stop()
	s, err := Start(ctx, Config{Port: other.Port()})
	if err == nil {
		defer s.Stop()
		select {
		case <-s.Exited():
		case <-ctx.Done():
		}
		t.Fatalf("Start on the port of another running ZooKeeper (pid %d) succeeded; "+
			"the server it started has exited (%v), and %s is the other one's",
			other.Pid(), !s.Running(), s.Addr())
	}
}

// A test package whose tests panic (or run past -timeout) never reaches
// the stop function MustStartForMain returned (drovertest.Main runs it after
// m.Run): the kernel kills the server (Pdeathsig), and its temporary data
// dir, snapshots and transaction logs included, stayed in $TMPDIR for good.
// The next server started removes it.
func TestMustStartForMainLeavesNoDataDirWhenATestPanics(t *testing.T) {
	if os.Getenv("ZKSERVER_TEST_PANIC_AFTER_START") == "1" {
		s, _ := MustStartForMain()
		create(t, s.Addr(), "/written", "by a test")
		fmt.Printf("datadir=%s pid=%d\n", s.DataDir(), s.Pid())
		panic("a test panics")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestMustStartForMainLeavesNoDataDirWhenATestPanics$")
	cmd.Env = append(os.Environ(), "ZKSERVER_TEST_PANIC_AFTER_START=1")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the helper did not panic:\n%s", out)
	}
	var dir string
	var pid int
	for _, line := range strings.Split(string(out), "\n") {
		if _, err := fmt.Sscanf(line, "datadir=%s pid=%d", &dir, &pid); err == nil {
			break
		}
	}
	if dir == "" || pid <= 0 {
		t.Fatalf("the helper printed no data dir and pid:\n%s", out)
	}
	defer os.RemoveAll(dir)
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); os.IsNotExist(err) {
			break
		}
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("zookeeper pid %d still runs after its test binary panicked", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The next server started on the machine removes it.
	next, err := Start(context.Background(), Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer next.Stop()
	if _, err := os.Stat(dir); err == nil {
		entries, _ := os.ReadDir(dir)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("temporary data dir %s left behind after a test panicked: %v", dir, names)
	}
}
