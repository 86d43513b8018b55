package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
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

func runDev(cmd *cobra.Command, g *globals, zkPort, workers, schedulers int) error {
	out := cmd.OutOrStdout()
	ctx, stop := signalContext()
	defer stop()
	if ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", zkPort)); err != nil {
		return exitCode(1, fmt.Sprintf("port %d is in use (another ZooKeeper or drover dev?): pick another with --zk-port", zkPort))
	} else {
		ln.Close()
	}
	logDir, err := os.MkdirTemp("", "drover-dev-")
	if err != nil {
		return err
	}
	zkLog, err := os.Create(filepath.Join(logDir, "zookeeper.log"))
	if err != nil {
		return err
	}
	defer zkLog.Close()
	fmt.Fprintf(out, "starting ZooKeeper on 127.0.0.1:%d ...\n", zkPort)
	srv, err := zkserver.Start(ctx, zkserver.Config{Port: zkPort, Stdout: zkLog})
	if err != nil {
		if errors.Is(err, zkserver.ErrNotInstalled) {
			return exitCode(1, err.Error())
		}
		return exitCode(1, "start ZooKeeper: "+err.Error())
	}
	defer srv.Stop()

	self, err := os.Executable()
	if err != nil {
		return err
	}
	zk := srv.Addr()
	common := []string{"--zk", zk, "--root", g.root, "--session-timeout", g.sessionTimeout.String(), "--log-level", g.logLevel}
	if g.zkAuthFile != "" {
		common = append(common, "--zk-auth-file", g.zkAuthFile) // a path, not the secret
	}
	for flag, v := range map[string]string{"--zk-tls-ca": g.tlsCA, "--zk-tls-cert": g.tlsCert, "--zk-tls-key": g.tlsKey} {
		if v != "" {
			common = append(common, flag, v)
		}
	}
	var children []*child
	defer func() { stopChildren(children) }()
	start := func(name string, args ...string) error {
		logPath := filepath.Join(logDir, name+".log")
		f, err := os.Create(logPath)
		if err != nil {
			return err
		}
		c := exec.Command(self, append(append([]string{}, common...), args...)...)
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
	httpPort, err := zkserver.FreePort()
	if err != nil {
		return err
	}
	dashboard := fmt.Sprintf("127.0.0.1:%d", httpPort)
	for i := 1; i <= schedulers; i++ {
		args := []string{"scheduler", "--id", fmt.Sprintf("dev-scheduler-%d", i)}
		if i == 1 {
			args = append(args, "--http", dashboard)
		}
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
	fmt.Fprintf(out, "  %-18s pid %-7d %s\n", "zookeeper", srv.Pid(), zk)
	for _, c := range children {
		fmt.Fprintf(out, "  %-18s pid %-7d log %s\n", c.name, c.cmd.Process.Pid, c.log)
	}
	flag := ""
	if zkPort != 2181 {
		flag = " --zk " + zk
	}
	if g.root != "/drover" {
		flag += " --root " + g.root
	}
	fmt.Fprintf(out, "\nTry, in another shell:\n")
	fmt.Fprintf(out, "  drover%s submit --wait -- echo hello\n", flag)
	fmt.Fprintf(out, "  drover%s workers\n", flag)
	fmt.Fprintf(out, "  drover%s leader          # kill -9 its pid: the standby takes over\n", flag)
	fmt.Fprintf(out, "Dashboard: http://%s/  (metrics: /metrics, API: /api/v1/cluster)\n", dashboard)
	fmt.Fprintf(out, "Logs: %s\nPress Ctrl-C to stop everything.\n", logDir)

	<-ctx.Done()
	fmt.Fprintln(out, "\nstopping ...")
	stopChildren(children)
	children = nil
	if err := srv.Stop(); err != nil {
		return err
	}
	fmt.Fprintln(out, "stopped; logs kept in "+logDir)
	return nil
}

// stopChildren sends SIGTERM to each child by pid, waits up to 5s, then
// SIGKILLs what is left.
func stopChildren(children []*child) {
	for _, c := range children {
		_ = syscall.Kill(c.cmd.Process.Pid, syscall.SIGTERM)
	}
	deadline, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, c := range children {
		select {
		case <-c.exited:
		case <-deadline.Done():
			_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
			<-c.exited
		}
		// Anything the child left in its group (running tasks) goes too.
		_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
	}
}
