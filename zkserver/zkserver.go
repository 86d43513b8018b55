// Package zkserver starts a real Apache ZooKeeper server from the system's
// installation, for tests and `drover dev`. It stops what it started by pid.
package zkserver

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ErrNotInstalled means no ZooKeeper (or no Java) was found.
var ErrNotInstalled = errors.New("ZooKeeper is not installed: run `sudo apt-get install -y zookeeper` (Debian/Ubuntu) or set DROVER_ZK_CLASSPATH")

// DefaultJar is where Debian's zookeeper package puts the server.
const DefaultJar = "/usr/share/java/zookeeper.jar"

// Find locates java and the ZooKeeper classpath (env DROVER_ZK_CLASSPATH
// overrides the Debian default).
func Find() (java, classpath string, err error) {
	java, err = exec.LookPath("java")
	if err != nil {
		return "", "", fmt.Errorf("java not found: %w", ErrNotInstalled)
	}
	if cp := os.Getenv("DROVER_ZK_CLASSPATH"); cp != "" {
		return java, cp, nil
	}
	if _, err := os.Stat(DefaultJar); err != nil {
		return "", "", ErrNotInstalled
	}
	cp := DefaultJar
	if _, err := os.Stat("/etc/zookeeper/conf"); err == nil {
		cp += ":/etc/zookeeper/conf"
	}
	return java, cp, nil
}

// Config describes one server. Zero values are documented defaults.
type Config struct {
	// Port is the client port; 0 picks a free loopback port.
	Port int
	// DataDir holds snapshots and logs; "" makes a temporary one, removed by Stop.
	DataDir string
	// TickTime is ZooKeeper's basic time unit; default 500ms (sessions of 1s..60s).
	TickTime time.Duration
	// Stdout receives the server's log; nil writes server.log in the data dir.
	Stdout io.Writer
	// StartTimeout bounds the wait for the server to answer; default 60s.
	StartTimeout time.Duration

	// Ensemble membership (set by StartEnsemble).
	myID    int
	servers []string // server.N lines
}

// Server is a running (or stopped) ZooKeeper server process.
type Server struct {
	cfg     Config
	tempDir bool

	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{}
	logFile *os.File
}

// FreePort returns a currently unused loopback TCP port.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// Start writes a config, starts the server and waits until it answers ruok.
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
			return nil, fmt.Errorf("pick a port: %w", err)
		}
		cfg.Port = p
	}
	if cfg.DataDir == "" {
		dir, err := os.MkdirTemp("", "drover-zk-")
		if err != nil {
			return nil, err
		}
		cfg.DataDir, s.tempDir = dir, true
	}
	s.cfg = cfg
	return s, nil
}

// Addr is host:port for clients.
func (s *Server) Addr() string { return fmt.Sprintf("127.0.0.1:%d", s.cfg.Port) }

// Port is the client port.
func (s *Server) Port() int { return s.cfg.Port }

// DataDir is the server's data directory.
func (s *Server) DataDir() string { return s.cfg.DataDir }

// Pid is the server process id (0 when not running).
func (s *Server) Pid() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil || s.cmd.Process == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

func (s *Server) writeConfig() (string, error) {
	c := s.cfg
	lines := []string{
		fmt.Sprintf("tickTime=%d", c.TickTime.Milliseconds()),
		"dataDir=" + c.DataDir,
		fmt.Sprintf("clientPort=%d", c.Port),
		"clientPortAddress=127.0.0.1",
		"admin.enableServer=false",
		fmt.Sprintf("minSessionTimeout=%d", max(1000, 2*c.TickTime.Milliseconds())),
		"maxSessionTimeout=60000",
		"4lw.commands.whitelist=*",
		"maxClientCnxns=0",
	}
	if c.myID > 0 {
		lines = append(lines, "initLimit=10", "syncLimit=5", "electionPortBindRetry=0")
		lines = append(lines, c.servers...)
		if err := os.WriteFile(filepath.Join(c.DataDir, "myid"), []byte(fmt.Sprintf("%d\n", c.myID)), 0o644); err != nil {
			return "", err
		}
	}
	p := filepath.Join(c.DataDir, "zoo.cfg")
	return p, os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
}

func (s *Server) start(ctx context.Context, wait bool) error {
	java, cp, err := Find()
	if err != nil {
		return err
	}
	cfgPath, err := s.writeConfig()
	if err != nil {
		return fmt.Errorf("write zookeeper config: %w", err)
	}
	main := "org.apache.zookeeper.server.ZooKeeperServerMain"
	if s.cfg.myID > 0 {
		main = "org.apache.zookeeper.server.quorum.QuorumPeerMain"
	}
	cmd := exec.Command(java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
		"-Dzookeeper.log.dir="+s.cfg.DataDir, "-Dzookeeper.root.logger=INFO,CONSOLE",
		"-cp", cp, main, cfgPath)
	// Own process group; and killed by the kernel if the process that started it
	// dies without stopping it, so no test run leaves a server behind.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	out := s.cfg.Stdout
	var logFile *os.File
	if out == nil {
		logFile, err = os.OpenFile(s.logPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		out = logFile
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
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
	s.cmd, s.exited, s.logFile = cmd, exited, logFile
	s.mu.Unlock()
	if !wait {
		return nil
	}
	if err := s.waitReady(ctx, func(ans string) bool { return ans == "imok" }, "ruok"); err != nil {
		_ = s.Kill()
		return err
	}
	return nil
}

func (s *Server) logPath() string { return filepath.Join(s.cfg.DataDir, "server.log") }

// waitReady polls a four-letter word until ok accepts the answer, the process
// exits, or the deadline passes.
func (s *Server) waitReady(ctx context.Context, ok func(string) bool, word string) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.StartTimeout)
	defer cancel()
	s.mu.Lock()
	exited := s.exited
	s.mu.Unlock()
	for {
		if ans, err := FourLetter(s.Addr(), word); err == nil && ok(ans) {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("zookeeper on %s exited during start-up:\n%s", s.Addr(), s.logTail())
		case <-ctx.Done():
			return fmt.Errorf("zookeeper on %s not ready: %w\n%s", s.Addr(), ctx.Err(), s.logTail())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (s *Server) logTail() string {
	f, err := os.Open(s.logPath())
	if err != nil {
		return ""
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > 20 {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}

// FourLetter sends a ZooKeeper four-letter command and returns the answer.
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

// signal sends sig to the server's process group and waits up to d for exit.
func (s *Server) signal(sig syscall.Signal, d time.Duration) bool {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return true
	}
	select {
	case <-exited:
		return true
	default:
	}
	_ = syscall.Kill(-cmd.Process.Pid, sig)
	select {
	case <-exited:
		return true
	case <-time.After(d):
		return false
	}
}

// Kill stops the server with SIGKILL and keeps its data (for restart tests).
func (s *Server) Kill() error {
	if !s.signal(syscall.SIGKILL, 10*time.Second) {
		return fmt.Errorf("zookeeper pid %d did not exit after SIGKILL", s.Pid())
	}
	return nil
}

// Halt stops the server gracefully (SIGTERM, then SIGKILL after 5s) and keeps
// its data, for a later Restart.
func (s *Server) Halt() error {
	if !s.signal(syscall.SIGTERM, 5*time.Second) {
		return s.Kill()
	}
	return nil
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

// Stop terminates the server (SIGTERM, then SIGKILL after 5s) and removes a
// temporary data directory. It is idempotent.
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
		s.tempDir = false
	}
}

// Restart starts a stopped or killed server again on the same port and data.
func (s *Server) Restart(ctx context.Context) error {
	if !s.signal(syscall.SIGKILL, 10*time.Second) {
		return fmt.Errorf("zookeeper pid %d still running", s.Pid())
	}
	return s.start(ctx, s.cfg.myID == 0)
}

// MustStartForMain starts a server for a test package's TestMain. It exits the
// process with a clear message when ZooKeeper is missing or does not start.
func MustStartForMain() (*Server, func()) {
	s, err := Start(context.Background(), Config{})
	if err != nil {
		fmt.Fprintf(os.Stderr, "zkserver: %v\n", err)
		os.Exit(1)
	}
	return s, func() { _ = s.Stop() }
}
