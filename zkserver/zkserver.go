// Package zkserver starts a real Apache ZooKeeper server from the system's
// installation (Debian's zookeeper package), for integration tests, `drover dev`
// and chaos tests with an ensemble. It stops only what it started, by pid.
package zkserver

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/drover-sched/drover/tailbuf"
)

// ErrNotInstalled means no ZooKeeper (or no Java) was found.
var ErrNotInstalled = errors.New("ZooKeeper is not installed: run `sudo apt-get install -y zookeeper` (Debian/Ubuntu) or set DROVER_ZK_CLASSPATH")

// DefaultJar is where Debian's zookeeper package puts the server.
const DefaultJar = "/usr/share/java/zookeeper.jar"

// The jar's manifest pulls its dependencies but no logging backend: without
// these two (dependencies of the same Debian package) the server logs nothing.
var defaultLogJars = []string{"/usr/share/java/slf4j-log4j12.jar", "/usr/share/java/log4j-1.2.jar",
	// The Netty server (used for TLS) needs these, which the jar's manifest omits.
	"/usr/share/java/netty-codec.jar", "/usr/share/java/netty-resolver.jar"}

const defaultConfDir = "/etc/zookeeper/conf"

// Find locates java (on PATH) and the ZooKeeper classpath. The environment
// variable DROVER_ZK_CLASSPATH overrides the Debian default.
func Find() (java, classpath string, err error) {
	java, err = exec.LookPath("java")
	if err != nil {
		return "", "", fmt.Errorf("java not found on PATH: %w", ErrNotInstalled)
	}
	if cp := os.Getenv("DROVER_ZK_CLASSPATH"); cp != "" {
		return java, cp, nil
	}
	if _, err := os.Stat(DefaultJar); err != nil {
		return "", "", ErrNotInstalled
	}
	cp := []string{DefaultJar}
	for _, p := range append(defaultLogJars, defaultConfDir) {
		if _, err := os.Stat(p); err == nil {
			cp = append(cp, p)
		}
	}
	return java, strings.Join(cp, ":"), nil
}

// Config describes one server. Zero values are documented defaults.
type Config struct {
	// Port is the client port; 0 picks a free loopback port.
	Port int
	// DataDir holds snapshots and transaction logs; "" makes a temporary
	// directory that Stop removes.
	DataDir string
	// TickTime is ZooKeeper's basic time unit; default 500ms. Sessions may
	// last from max(1s, 2 ticks) to 60s.
	TickTime time.Duration
	// Stdout receives the server's log; nil appends to server.log in the data dir.
	Stdout io.Writer
	// StartTimeout bounds the wait for the server to answer; default 60s.
	StartTimeout time.Duration
	// TLS, when set, also opens a TLS client port (see Server.SecureAddr).
	TLS *TLSFiles
	// SecurePort is the TLS client port; 0 picks a free one (with TLS).
	SecurePort int
	// Heap is the server's maximum Java heap (-Xmx), e.g. "2g"; default 256m,
	// enough for tests and a dev cluster. ZooKeeper keeps every znode in
	// memory: a million queued tasks need a few GiB.
	Heap string
	// MaxSessionTimeout bounds the session timeouts granted; default 60s.
	MaxSessionTimeout time.Duration

	// Ensemble membership (set by StartEnsemble).
	myID    int
	servers []string // server.N lines
}

// Server is a ZooKeeper server process, running or stopped. Its methods are
// safe for concurrent use.
type Server struct {
	cfg     Config
	tempDir bool     // DataDir was created here; Stop removes it
	owner   *os.File // holds the lock on DataDir's ownerFile while it lives

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}   // closed when cmd has exited and its output is flushed
	tail   *tailbuf.Buffer // the end of the current run's log
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort() (int, error) {
	ps, err := FreePorts(1)
	if err != nil {
		return 0, err
	}
	return ps[0], nil
}

// FreePorts returns n distinct free loopback ports: all listeners are held
// until every port is picked, so none is handed out twice.
func FreePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("pick a free port: %w", err)
		}
		defer ln.Close()
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// Start writes a configuration, starts the server as a child process and waits
// until it serves: "ruok" answers "imok" and "srvr" reports a Mode. If it does
// not within StartTimeout (or before ctx ends) it is killed, and the error ends
// with the server's last log lines. ctx bounds only the start: the server runs
// until Stop, Halt or Kill.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	s, err := newServer(cfg)
	if err != nil {
		return nil, err
	}
	if err := s.start(ctx, true); err != nil {
		s.cleanup()
		return nil, err
	}
	return s, nil
}

func newServer(cfg Config) (*Server, error) {
	if _, _, err := Find(); err != nil {
		return nil, err
	}
	if cfg.TickTime <= 0 {
		cfg.TickTime = 500 * time.Millisecond
	}
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = 60 * time.Second
	}
	s := &Server{}
	if cfg.Port == 0 {
		p, err := FreePort()
		if err != nil {
			return nil, err
		}
		cfg.Port = p
	}
	if cfg.TLS != nil && cfg.SecurePort == 0 {
		p, err := FreePort()
		if err != nil {
			return nil, err
		}
		cfg.SecurePort = p
	}
	if cfg.DataDir == "" {
		sweepTempDirs()
		dir, owner, err := makeTempDir()
		if err != nil {
			return nil, err
		}
		cfg.DataDir, s.tempDir, s.owner = dir, true, owner
	}
	// The JVM runs in the data dir and is given paths in it: a relative
	// one (a relative TMPDIR too) would be looked for inside itself.
	abs, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("zookeeper data dir: %w", err)
	}
	cfg.DataDir = abs
	s.cfg = cfg
	return s, nil
}

// Addr is the client address, 127.0.0.1:PORT.
func (s *Server) Addr() string { return fmt.Sprintf("127.0.0.1:%d", s.cfg.Port) }

// Port is the client port.
func (s *Server) Port() int { return s.cfg.Port }

// DataDir is the server's data directory.
func (s *Server) DataDir() string { return s.cfg.DataDir }

// Pid is the server's process id, or 0 when it is not running.
func (s *Server) Pid() int {
	if !s.Running() {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cmd.Process.Pid
}

// Exited is closed when the server process last started has exited (nil
// before it started).
func (s *Server) Exited() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.exited
}

// Running reports whether the server process is alive.
func (s *Server) Running() bool {
	s.mu.Lock()
	exited := s.exited
	s.mu.Unlock()
	if exited == nil {
		return false
	}
	select {
	case <-exited:
		return false
	default:
		return true
	}
}

const log4jProperties = `log4j.rootLogger=INFO, CONSOLE
log4j.appender.CONSOLE=org.apache.log4j.ConsoleAppender
log4j.appender.CONSOLE.Target=System.out
log4j.appender.CONSOLE.layout=org.apache.log4j.PatternLayout
log4j.appender.CONSOLE.layout.ConversionPattern=%d{ISO8601} %-5p [%t:%C{1}@%L] - %m%n
`

// writeFiles writes zoo.cfg, log4j.properties and, for an ensemble member, myid.
func (s *Server) writeFiles() (cfgPath string, err error) {
	c := s.cfg
	if err := os.MkdirAll(c.DataDir, 0o755); err != nil {
		return "", err
	}
	lines := []string{
		fmt.Sprintf("tickTime=%d", c.TickTime.Milliseconds()),
		"dataDir=" + c.DataDir,
		fmt.Sprintf("clientPort=%d", c.Port),
		"clientPortAddress=127.0.0.1",
		"admin.enableServer=false",
		fmt.Sprintf("minSessionTimeout=%d", max(1000, 2*c.TickTime.Milliseconds())),
		fmt.Sprintf("maxSessionTimeout=%d", cmp.Or(c.MaxSessionTimeout, time.Minute).Milliseconds()),
		"4lw.commands.whitelist=*",
		"maxClientCnxns=0",
		// Old snapshots and transaction logs go every hour, as in
		// configs/zookeeper/: a drover dev under load wrote some 10 MB a
		// minute to its data directory, kept for ever (soak198).
		"autopurge.snapRetainCount=3",
		"autopurge.purgeInterval=1",
	}
	if c.TLS != nil {
		lines = append(lines,
			fmt.Sprintf("secureClientPort=%d", c.SecurePort), "secureClientPortAddress=127.0.0.1",
			"serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory",
			"ssl.keyStore.location="+c.TLS.KeyStore, "ssl.keyStore.type=PEM",
			"ssl.trustStore.location="+c.TLS.CA, "ssl.trustStore.type=PEM", "ssl.clientAuth=none")
	}
	if c.myID > 0 {
		// electionPortBindRetry=0 retries forever: a restarted member may find
		// its election port briefly unavailable.
		lines = append(lines, "initLimit=10", "syncLimit=5", "electionPortBindRetry=0")
		lines = append(lines, c.servers...)
		if err := os.WriteFile(filepath.Join(c.DataDir, "myid"), fmt.Appendf(nil, "%d\n", c.myID), 0o644); err != nil {
			return "", err
		}
	}
	if err := os.WriteFile(filepath.Join(c.DataDir, "log4j.properties"), []byte(log4jProperties), 0o644); err != nil {
		return "", err
	}
	cfgPath = filepath.Join(c.DataDir, "zoo.cfg")
	return cfgPath, os.WriteFile(cfgPath, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
}

// start launches the process; with wait it also waits for ruok and kills the
// process when it does not answer.
func (s *Server) start(ctx context.Context, wait bool) error {
	java, cp, err := Find()
	if err != nil {
		return err
	}
	cfgPath, err := s.writeFiles()
	if err != nil {
		return fmt.Errorf("write zookeeper config: %w", err)
	}
	if err := dropEmptyLastTxnLog(s.cfg.DataDir); err != nil {
		return err
	}
	// QuorumPeerMain for a lone server too: it runs ZooKeeperServerMain
	// after starting the purge of old snapshots and logs (autopurge in
	// zoo.cfg), which ZooKeeperServerMain alone never does.
	main := "org.apache.zookeeper.server.quorum.QuorumPeerMain"
	heap := s.cfg.Heap
	if heap == "" {
		heap = "256m"
	}
	// A server out of heap exits rather than limp on half-broken (its
	// owner then sees it gone).
	cmd := exec.Command(java, "-Xmx"+heap, "-XX:+ExitOnOutOfMemoryError", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
		"-Dzookeeper.log.dir="+s.cfg.DataDir,
		"-Dlog4j.configuration=file:"+filepath.Join(s.cfg.DataDir, "log4j.properties"),
		"-cp", cp, main, cfgPath)
	cmd.Dir = s.cfg.DataDir
	// Not Drover's variables: the JVM, which nothing makes not dumpable,
	// held DROVER_ZK_AUTH in its /proc/<pid>/environ, for any command of
	// drover dev's workers (run as dev's user) to read.
	cmd.Env = withoutDroverVars(os.Environ())
	// Its own process group (a terminal's Ctrl-C reaches only us; we stop it),
	// and killed by the kernel if we die without stopping it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}

	var logFile *os.File
	out := s.cfg.Stdout
	if out == nil {
		logFile, err = os.OpenFile(s.logPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		out = logFile
	}
	tail := tailbuf.New(16 << 10)
	w := &teeWriter{w: out, tail: tail}
	cmd.Stdout, cmd.Stderr = w, w
	if err := startFromLastingThread(cmd); err != nil {
		if logFile != nil {
			logFile.Close()
		}
		return fmt.Errorf("start zookeeper: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		if logFile != nil {
			logFile.Close()
		}
		close(exited)
	}()
	s.mu.Lock()
	s.cmd, s.exited, s.tail = cmd, exited, tail
	s.mu.Unlock()
	if !wait {
		return nil
	}
	if err := s.waitReady(ctx, standaloneReady); err != nil {
		_ = s.Kill()
		return err
	}
	return nil
}

func (s *Server) logPath() string { return filepath.Join(s.cfg.DataDir, "server.log") }

// standaloneReady reports whether a standalone server serves clients: "ruok"
// answers "imok" as soon as the port is open, a moment before the server takes
// sessions; "srvr" reports a Mode only once it does.
func standaloneReady(addr string) bool {
	if ans, err := FourLetter(addr, "ruok"); err != nil || ans != "imok" {
		return false
	}
	return memberReady(addr)
}

// memberReady reports whether "srvr" reports a Mode (standalone, leader,
// follower, ...): a server outside a quorum, or still starting, answers that
// it is not serving requests.
func memberReady(addr string) bool {
	ans, err := FourLetter(addr, "srvr")
	return err == nil && Mode(ans) != ""
}

// waitReady polls ready until it holds, the process exits, StartTimeout
// passes or ctx ends.
func (s *Server) waitReady(ctx context.Context, ready func(addr string) bool) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.StartTimeout)
	defer cancel()
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.mu.Unlock()
	if exited == nil {
		return fmt.Errorf("zookeeper on %s was never started", s.Addr())
	}
	exitErr := func() error {
		return fmt.Errorf("zookeeper on %s exited during start-up (%v); last log lines:\n%s",
			s.Addr(), cmd.ProcessState, s.logTail())
	}
	ctxErr := func() error {
		return fmt.Errorf("zookeeper on %s is not serving: %w; last log lines:\n%s",
			s.Addr(), ctx.Err(), s.logTail())
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		// Probe in the background: a probe of a port some other process
		// holds can block for seconds, while the server has already exited.
		probe := make(chan bool, 1)
		go func() { probe <- ready(s.Addr()) }()
		select {
		case ok := <-probe:
			if ok {
				return s.ours()
			}
		case <-exited:
			return exitErr()
		case <-ctx.Done():
			return ctxErr()
		}
		select {
		case <-exited:
			return exitErr()
		case <-ctx.Done():
			return ctxErr()
		case <-tick.C:
		}
	}
}

// ours checks that the server answering on the address is the one started
// here: a process that could not bind the port (another ZooKeeper holds
// it) exits a second after that other one answered the probes for it.
func (s *Server) ours() error {
	ans, err := FourLetter(s.Addr(), "conf")
	if err != nil {
		return fmt.Errorf("zookeeper on %s: conf: %w", s.Addr(), err)
	}
	for line := range strings.Lines(ans) {
		if dir, ok := strings.CutPrefix(strings.TrimSpace(line), "dataDir="); ok {
			if filepath.Dir(dir) == filepath.Clean(s.cfg.DataDir) || filepath.Clean(dir) == filepath.Clean(s.cfg.DataDir) {
				return nil
			}
			_ = s.Kill()
			return fmt.Errorf("%s is served by another ZooKeeper (data dir %s): port in use", s.Addr(), filepath.Dir(dir))
		}
	}
	return fmt.Errorf("zookeeper on %s: conf names no dataDir", s.Addr())
}

// logTail is the end of the current run's log.
func (s *Server) logTail() string {
	s.mu.Lock()
	t := s.tail
	s.mu.Unlock()
	if t == nil {
		return ""
	}
	return t.LastLines(20)
}

// FourLetter sends a ZooKeeper four-letter command ("ruok", "srvr", ...) and
// returns the answer.
func FourLetter(addr, word string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte(word)); err != nil {
		return "", err
	}
	b, err := io.ReadAll(c)
	return strings.TrimSpace(string(b)), err
}

// signal sends sig to the server's pid and waits up to d for it to exit. It
// reports whether the process is gone. os.Process signals through a pidfd, so
// a process that has already been reaped is never confused with a new one.
func (s *Server) signal(sig os.Signal, d time.Duration) bool {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.mu.Unlock()
	if exited == nil {
		return true
	}
	select {
	case <-exited:
		return true
	default:
	}
	_ = cmd.Process.Signal(sig)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-exited:
		return true
	case <-t.C:
		return false
	}
}

// Kill stops the server with SIGKILL and keeps its data dir, for Restart.
func (s *Server) Kill() error {
	if !s.signal(syscall.SIGKILL, 10*time.Second) {
		return fmt.Errorf("zookeeper pid %d did not exit after SIGKILL", s.Pid())
	}
	return nil
}

// Halt stops the server gracefully (SIGTERM, then SIGKILL after 5s) and keeps
// its data dir, for Restart.
func (s *Server) Halt() error {
	if !s.signal(syscall.SIGTERM, 5*time.Second) {
		return s.Kill()
	}
	return nil
}

// Stop is Halt, then removes the data dir if Start created it. It is
// idempotent and safe to call concurrently. A Restart after Stop starts with
// an empty data dir.
func (s *Server) Stop() error {
	if err := s.Halt(); err != nil {
		return err
	}
	s.cleanup()
	return nil
}

func (s *Server) cleanup() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tempDir {
		_ = os.RemoveAll(s.cfg.DataDir)
		if s.owner != nil {
			s.owner.Close()
			s.owner = nil
		}
	}
}

// A temporary data dir outlives its process when that process dies
// without stopping the server (a test binary that panics or hits
// -timeout, a kill -9): the kernel kills ZooKeeper (Pdeathsig) but nothing
// removes its snapshots and logs. So the process that makes one holds an
// flock on its ownerFile for as long as it lives, and the next Start
// removes every such dir whose lock it can take (its owner is gone,
// whichever pid namespace it ran in).
const (
	tempPrefix = "drover-zk-"
	ownerFile  = ".owner"
)

// makeTempDir makes a temporary data dir and takes its owner lock. The
// lock file is locked before it gets its name, so that a sweep never finds
// it unlocked.
func makeTempDir() (dir string, owner *os.File, err error) {
	dir, err = os.MkdirTemp("", tempPrefix)
	if err != nil {
		return "", nil, err
	}
	f, err := os.CreateTemp(dir, ownerFile+"-")
	if err == nil {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			err = os.Rename(f.Name(), filepath.Join(dir, ownerFile))
		}
		if err != nil {
			f.Close()
		}
	}
	if err != nil {
		_ = os.RemoveAll(dir)
		return "", nil, fmt.Errorf("make data dir: %w", err)
	}
	return dir, f, nil
}

// sweepTempDirs removes the temporary data dirs whose owners are gone.
// Dirs without an owner file (being made, or made by an older build) are
// left alone.
func sweepTempDirs() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), tempPrefix+"*"))
	for _, dir := range dirs {
		f, err := os.Open(filepath.Join(dir, ownerFile))
		if err != nil {
			continue
		}
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
			_ = os.RemoveAll(dir) // its owner is gone: nobody else will
		}
		f.Close()
	}
}

// Restart starts a stopped or killed server again, on the same port and data
// dir. A standalone server is waited for, as by Start; an ensemble member is not,
// since it needs a quorum: use Ensemble.Restart or Ensemble.WaitReady.
func (s *Server) Restart(ctx context.Context) error {
	if s.Running() {
		return fmt.Errorf("zookeeper pid %d is still running: Stop, Halt or Kill it first", s.Pid())
	}
	return s.start(ctx, s.cfg.myID == 0)
}

// MustStartForMain starts a server with defaults for a test package's
// TestMain and returns it with a func that stops it. When ZooKeeper is missing
// or does not start it prints why and exits with status 1.
func MustStartForMain() (*Server, func()) {
	s, err := Start(context.Background(), Config{})
	if err != nil {
		if errors.Is(err, ErrNotInstalled) {
			fmt.Fprintf(os.Stderr, "zkserver: %v\n", err)
		} else {
			fmt.Fprintf(os.Stderr, "zkserver: cannot start ZooKeeper for the tests: %v\n", err)
		}
		os.Exit(1)
	}
	return s, func() {
		if err := s.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "zkserver: %v\n", err)
		}
	}
}

// teeWriter copies the server's output to w and to the tail. It never fails:
// a failing w (say, a closed log file) must not stop the copy, or the server
// would block writing its log.
type teeWriter struct {
	w    io.Writer
	tail *tailbuf.Buffer
	bad  bool // w failed once; only the tail is written
}

func (t *teeWriter) Write(p []byte) (int, error) {
	_, _ = t.tail.Write(p)
	if !t.bad {
		if _, err := t.w.Write(p); err != nil {
			t.bad = true
		}
	}
	return len(p), nil
}

// txnLogHeader is the size of a transaction log file's header.
const txnLogHeader = 16

// withoutDroverVars is env less Drover's own variables (DROVER_*).
func withoutDroverVars(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if !strings.HasPrefix(kv, "DROVER_") {
			out = append(out, kv)
		}
	}
	return out
}

// dropEmptyLastTxnLog removes the newest transaction log of dataDir when it
// is shorter than its header: a server stopped just after it made a new log
// file leaves it so, and ZooKeeper before 3.9.3 then refuses to start
// (EOFException in FileHeader.deserialize: ZOOKEEPER-2332, whose fix does
// the same). Only the newest: an empty one before others is corruption.
func dropEmptyLastTxnLog(dataDir string) error {
	logs, err := filepath.Glob(filepath.Join(dataDir, "version-2", "log.*"))
	if err != nil || len(logs) == 0 {
		return err
	}
	newest, newestZxid := "", int64(-1)
	for _, p := range logs {
		zxid, err := strconv.ParseInt(strings.TrimPrefix(filepath.Base(p), "log."), 16, 64)
		if err == nil && zxid > newestZxid {
			newest, newestZxid = p, zxid
		}
	}
	if newest == "" {
		return nil
	}
	fi, err := os.Stat(newest)
	if err != nil || fi.Size() >= txnLogHeader {
		return nil
	}
	if err := os.Remove(newest); err != nil {
		return fmt.Errorf("remove the empty transaction log %s: %w", newest, err)
	}
	return nil
}

// startFromLastingThread starts cmd from an OS thread that lives as long as
// the process: the kernel sends Pdeathsig when the thread that forked ends,
// not the process, and Go ends a thread whenever a goroutine locked to it
// exits. Started from any goroutine's thread, a server was killed mid-run
// (a test's locked goroutine ending). The starter goroutine lives as long
// as the process, as the thread it holds must.
func startFromLastingThread(cmd *exec.Cmd) error {
	starterOnce.Do(func() {
		go func() {
			runtime.LockOSThread() // never unlocked
			for r := range starts {
				r.done <- r.cmd.Start()
			}
		}()
	})
	r := startReq{cmd: cmd, done: make(chan error, 1)}
	starts <- r
	return <-r.done
}

type startReq struct {
	cmd  *exec.Cmd
	done chan error
}

var (
	starts      = make(chan startReq)
	starterOnce sync.Once
)
