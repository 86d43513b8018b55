package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/drover-sched/drover/zkserver"
)

func newDevCmd(g *globals) *cobra.Command {
	var zkPort, workers, schedulers int
	cmd := &cobra.Command{
		Use:   "dev [--zk-port N] [--workers N] [--schedulers N]",
		Short: "Run a local cluster: ZooKeeper, schedulers and workers; Ctrl-C stops it all",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if zkPort < 1 || zkPort > 65535 {
				return usageErr("--zk-port %d: want 1..65535", zkPort)
			}
			if workers < 0 || workers > 64 || schedulers < 1 || schedulers > 9 {
				return usageErr("--workers 0..64 and --schedulers 1..9")
			}
			for _, name := range []string{"zk-tls-ca", "zk-tls-cert", "zk-tls-key"} {
				if givenOnCommandLine(cmd, name) {
					return usageErr("dev: --%s: the ZooKeeper dev starts is local and speaks no TLS", name)
				}
			}
			return runDev(cmd, g, zkPort, workers, schedulers)
		},
	}
	cmd.Flags().IntVar(&zkPort, "zk-port", 2181, "ZooKeeper client port")
	cmd.Flags().IntVar(&workers, "workers", 3, "workers to start")
	cmd.Flags().IntVar(&schedulers, "schedulers", 2, "schedulers to start (one leads, the others stand by)")
	return cmd
}

// child is a process drover dev started.
type child struct {
	name   string
	cmd    *exec.Cmd
	log    string
	exited chan struct{}
}

// reaped reports whether c has exited and been waited for: its pid, and
// the process group of that number, may be another process's by now.
func (c *child) reaped() bool {
	select {
	case <-c.exited:
		return true
	default:
		return false
	}
}

// devSignals stop drover dev: Ctrl-C, kill, and a closed terminal.
var devSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP}

// runDev starts the cluster and stops it on the first of devSignals; a second
// signal kills what is left at once. Either way ZooKeeper's data dir is
// removed before it returns. The log dir is kept, unless startup failed and
// no log has anything in it.
func runDev(cmd *cobra.Command, g *globals, zkPort, workers, schedulers int) (err error) {
	out := cmd.OutOrStdout()
	if ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", zkPort)); errors.Is(err, syscall.EADDRINUSE) {
		return exitCode(1, fmt.Sprintf("port %d is in use (another ZooKeeper or drover dev?): pick another with --zk-port", zkPort))
	} else if errors.Is(err, syscall.EACCES) {
		// A port this user may not bind (a privileged one): the flag's value
		// is at fault, not the machine's state.
		return usageErr("--zk-port %d: this user may not bind it (%v): pick another", zkPort, err)
	} else if err != nil {
		return exitCode(1, fmt.Sprintf("%v: pick another port with --zk-port", err))
	} else {
		ln.Close()
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, devSignals...)
	defer signal.Stop(sigs)
	// A write to a closed stdout (`drover dev | tee`, tee gone) returns an
	// error instead of killing us before we clean up.
	pipe := make(chan os.Signal, 1)
	signal.Notify(pipe, syscall.SIGPIPE)
	defer signal.Stop(pipe)
	var (
		mu       sync.Mutex // guards srv and children against the signal goroutine
		srv      *zkserver.Server
		children []*child
	)
	done := make(chan struct{})
	defer close(done)
	go func() {
		for i := 0; i < 2; i++ {
			select {
			case <-sigs:
			case <-done:
				return
			}
			if i == 0 {
				cancel()
			}
		}
		fmt.Fprintln(out, "second signal: killing everything now")
		mu.Lock()
		kids, zk := children, srv
		mu.Unlock()
		for _, c := range kids {
			if !c.reaped() {
				_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
			}
		}
		if zk != nil {
			_ = zk.Kill() // the Stop below still removes its data dir
		}
	}()

	logDir, err := os.MkdirTemp("", "drover-dev-")
	if err != nil {
		return fmt.Errorf("create log dir: %w", err)
	}
	started := false
	defer func() {
		if !started && !removeEmptyLogs(logDir) && err != nil {
			err = exitCode(1, oneLine(err.Error())+"; logs kept in "+logDir)
		}
	}()
	zkLog, err := os.Create(filepath.Join(logDir, "zookeeper.log"))
	if err != nil {
		return fmt.Errorf("create ZooKeeper log: %w", err)
	}
	defer zkLog.Close()
	fmt.Fprintf(out, "starting ZooKeeper on 127.0.0.1:%d ...\n", zkPort)
	// A heap with room to try a few hundred thousand queued tasks (256 MiB
	// ran out at 400,000).
	s, err := zkserver.Start(ctx, zkserver.Config{Port: zkPort, Stdout: zkLog, Heap: "1g"})
	if err != nil {
		if errors.Is(err, zkserver.ErrNotInstalled) {
			return exitCode(1, err.Error())
		}
		if ctx.Err() != nil {
			return exitCode(1, "interrupted while starting")
		}
		return exitCode(1, "start ZooKeeper: "+withCause(err.Error()))
	}
	defer s.Stop()
	mu.Lock()
	srv = s
	mu.Unlock()

	// What tasks leave running goes too, once the workers and ZooKeeper have
	// stopped (see orphanage); the deferred call is for the error paths.
	zkPid := s.Pid()
	orphans, oerr := adoptOrphans(func() map[int]bool {
		mu.Lock()
		defer mu.Unlock()
		own := map[int]bool{zkPid: true}
		for _, c := range children {
			own[c.cmd.Process.Pid] = true
		}
		return own
	})
	if oerr != nil {
		fmt.Fprintf(out, "warning: %v: processes that tasks leave running may outlive drover dev\n", oerr)
	}
	endOrphans := func() {
		if orphans == nil {
			return
		}
		killed, left := orphans.Close(5 * time.Second)
		orphans = nil
		if killed > 0 {
			fmt.Fprintf(out, "killed %d process(es) that tasks left running\n", killed)
		}
		if left > 0 {
			fmt.Fprintf(out, "warning: %d process(es) that tasks left did not exit within 5s\n", left)
		}
	}
	defer endOrphans()

	self, err := os.Executable()
	if err != nil {
		return err
	}
	zk := s.Addr()
	common := []string{"--zk", zk, "--root", g.root, "--session-timeout", g.sessionTimeout.String(), "--log-level", g.logLevel}
	if g.zkAuthFile != "" {
		common = append(common, "--zk-auth-file", g.zkAuthFile) // a path, not the secret
	}
	// The processes read no config file: one for a real ensemble (its TLS,
	// its workers' ports) would not fit this cluster, and each process would
	// read it, or not, as it was named (--config or DROVER_CONFIG).
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "DROVER_CONFIG=") })
	defer func() { stopChildren(children) }()
	start := func(name string, args ...string) error {
		mu.Lock() // a child started after the second signal's kill would outlive us
		defer mu.Unlock()
		if ctx.Err() != nil {
			return exitCode(1, "interrupted while starting")
		}
		logPath := filepath.Join(logDir, name+".log")
		f, err := os.Create(logPath)
		if err != nil {
			return err
		}
		c := exec.Command(self, append(append([]string{}, common...), args...)...)
		c.Env = env
		c.Stdout, c.Stderr = f, f
		// Own process group; killed with us if we die without cleaning up.
		c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		if err := c.Start(); err != nil {
			f.Close()
			return fmt.Errorf("start %s: %w", name, err)
		}
		ch := &child{name: name, cmd: c, log: logPath, exited: make(chan struct{})}
		go func() {
			_ = c.Wait()
			f.Close()
			close(ch.exited)
		}()
		children = append(children, ch)
		return nil
	}
	// Every scheduler serves the dashboard (a standby's shows the cluster
	// too): the tour kills the leader, and the page must outlive it.
	// Their ports are picked together: picked one by one, two could be one.
	httpPorts, err := zkserver.FreePorts(schedulers)
	if err != nil {
		return err
	}
	var dashboards []string
	for i := 1; i <= schedulers; i++ {
		dashboards = append(dashboards, fmt.Sprintf("127.0.0.1:%d", httpPorts[i-1]))
		args := []string{"scheduler", "--id", fmt.Sprintf("dev-scheduler-%d", i), "--http", dashboards[i-1]}
		if err := start(fmt.Sprintf("dev-scheduler-%d", i), args...); err != nil {
			return err
		}
	}
	for i := 1; i <= workers; i++ {
		if err := start(fmt.Sprintf("dev-worker-%d", i), "worker", "--id", fmt.Sprintf("dev-worker-%d", i), "--capacity", "4",
			// Drain within stopChildren's 5s grace, so running tasks end cleanly.
			"--drain-timeout", "4s"); err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "\nDrover dev cluster is up (root %s)\n", g.root)
	fmt.Fprintf(out, "  %-18s pid %-7d %s\n", "zookeeper", s.Pid(), zk)
	for _, c := range children {
		fmt.Fprintf(out, "  %-18s pid %-7d log %s\n", c.name, c.cmd.Process.Pid, c.log)
	}
	flag := ""
	// Without --zk, commands in another shell go where DROVER_ZK or a
	// config file says, which dev itself ignores: the hints name it then.
	if zkPort != 2181 || os.Getenv("DROVER_ZK") != "" || g.configFile != "" {
		flag = " --zk " + zk
	}
	if g.root != "/drover" {
		flag += " --root " + g.root
	}
	fmt.Fprintf(out, "\nTry, in another shell:\n")
	fmt.Fprintf(out, "  drover%s submit --wait -- echo hello\n", flag)
	fmt.Fprintf(out, "  drover%s workers\n", flag)
	if schedulers > 1 {
		fmt.Fprintf(out, "  drover%s leader          # kill -9 its pid: the standby takes over\n", flag)
	} else {
		fmt.Fprintf(out, "  drover%s leader\n", flag)
	}
	printDashboards(out, dashboards)
	fmt.Fprintf(out, "Logs: %s\nPress Ctrl-C to stop everything.\n", logDir)
	started = true

	// Say when a process ends before Ctrl-C (the tour's kill -9, a crash).
	var stopping atomic.Bool
	var told sync.WaitGroup
	for _, c := range children {
		told.Add(1)
		go func() {
			defer told.Done()
			<-c.exited
			if !stopping.Load() {
				fmt.Fprintf(out, "%s (pid %d) exited: %v; see %s\n", c.name, c.cmd.Process.Pid, c.cmd.ProcessState, c.log)
			}
		}()
	}
	told.Add(1)
	go func() {
		defer told.Done()
		select {
		case <-s.Exited():
			fmt.Fprintf(out, "ZooKeeper exited; see %s\n", zkLog.Name())
		case <-ctx.Done():
		}
	}()
	defer told.Wait()

	<-ctx.Done()
	stopping.Store(true)
	fmt.Fprintln(out, "\nstopping ... (signal again to kill everything at once)")
	stopChildren(children)
	mu.Lock()
	children = nil // stopped: the deferred stopChildren must not signal reused pids
	mu.Unlock()
	if err := s.Stop(); err != nil {
		return fmt.Errorf("stop ZooKeeper: %w", err)
	}
	endOrphans()
	fmt.Fprintln(out, "stopped; logs kept in "+logDir)
	return nil
}

// removeEmptyLogs removes the empty files in dir, then dir if nothing is left
// in it, and reports whether it is gone.
func removeEmptyLogs(dir string) bool {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if info, err := e.Info(); err == nil && info.Mode().IsRegular() && info.Size() == 0 {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
	err := os.Remove(dir)
	return err == nil || errors.Is(err, fs.ErrNotExist)
}

// stopChildren sends SIGTERM to each child still running, waits up to 5s,
// then SIGKILLs what is left, with its process group. A child reaped
// before the stop began is left alone, group too: its pid, and the group
// of that number, may be another process's by now.
func stopChildren(children []*child) {
	var running []*child
	for _, c := range children {
		if !c.reaped() {
			running = append(running, c)
			// By the process handle, not the pid: it knows when its
			// process was reaped.
			_ = c.cmd.Process.Signal(syscall.SIGTERM)
		}
	}
	deadline, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, c := range running {
		select {
		case <-c.exited:
		case <-deadline.Done():
			_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
			<-c.exited
		}
		// Anything the child left in its group (its guard) goes too: it
		// ended just now, so its number is not reused yet.
		_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
	}
}

// printDashboards names the dashboard of each dev scheduler (dashboards[i]
// is dev-scheduler-i+1's address). Any of them shows the cluster, but the
// queue counts only the leader's, and which scheduler leads is known only
// once they run (and changes in the tour's kill -9): so with more than one,
// all are named, not the first as though it were the leader's.
func printDashboards(out io.Writer, dashboards []string) {
	const paths = "(metrics: /metrics, API: /api/v1/cluster)"
	if len(dashboards) == 1 {
		fmt.Fprintf(out, "Dashboard: http://%s/  %s\n", dashboards[0], paths)
		return
	}
	fmt.Fprintf(out, "Dashboards (each shows the cluster; the leader's, which drover leader names, also the queue counts):\n")
	for i, d := range dashboards {
		fmt.Fprintf(out, "  dev-scheduler-%d  http://%s/", i+1, d)
		if i == 0 {
			fmt.Fprintf(out, "  %s", paths)
		}
		fmt.Fprintln(out)
	}
}
