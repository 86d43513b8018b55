package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/drover-sched/drover/zkserver"
)

// nobody is the unprivileged user the daemons of these tests run as: a
// command may read the /proc files of its own user's processes (root
// reads any).
var nobody = &syscall.Credential{Uid: 65534, Gid: 65534}

// nobodyDir makes a directory nobody may write in, removed at cleanup.
func nobodyDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "drover-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	return dir
}

// drover dev started with DROVER_ZK_AUTH makes itself, its schedulers and
// its workers not dumpable, so that their commands cannot read the
// credentials from /proc (README, Security). But the ZooKeeper it started
// inherited dev's whole environment: the JVM, which nothing makes not
// dumpable, held DROVER_ZK_AUTH in /proc/<pid>/environ, which every
// command dev's workers run (as dev's user) may read. Dev runs as nobody.
// (Found by review.)
func TestDevsZooKeeperDoesNotHoldTheCredentials(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, to run drover dev as another user than the test")
	}
	if err := os.Chmod(filepath.Dir(binary), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DROVER_ZK_AUTH", "owner:s3cret")
	port, err := zkserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	devZK, root := fmt.Sprintf("127.0.0.1:%d", port), newRoot()
	dev := exec.Command(binary, "--root", root, "--session-timeout", "2s",
		"dev", "--zk-port", fmt.Sprint(port), "--schedulers", "1", "--workers", "1")
	dev.Env = append(os.Environ(), "TMPDIR="+nobodyDir(t))
	dev.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: nobody}
	stdout, err := dev.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	dev.Stderr = dev.Stdout
	if err := dev.Start(); err != nil {
		t.Fatal(err)
	}
	out := &lockedBuffer{}
	up, exited := make(chan struct{}), make(chan struct{})
	zkPid := make(chan int, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			out.WriteString(sc.Text() + "\n")
			if f := strings.Fields(sc.Text()); len(f) > 2 && f[0] == "zookeeper" && f[1] == "pid" {
				pid, _ := strconv.Atoi(f[2])
				zkPid <- pid
			}
			if strings.HasPrefix(sc.Text(), "Press Ctrl-C") {
				close(up)
			}
		}
		_ = dev.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		_ = syscall.Kill(-dev.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = syscall.Kill(-dev.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	})
	select {
	case <-up:
	case <-exited:
		t.Fatalf("drover dev exited: %s", out)
	case <-time.After(90 * time.Second):
		t.Fatalf("drover dev not up after 90s: %s", out)
	}
	pid := <-zkPid
	r := drover(t, root, "--zk", devZK, "submit", "--wait", "--shell", "--",
		fmt.Sprintf(`id -u; tr '\0' '\n' < /proc/%d/environ | grep '^DROVER_ZK_AUTH=' || true`, pid))
	if r.code != 0 {
		t.Fatalf("submit --wait: %+v", r)
	}
	uid, got, _ := strings.Cut(r.stdout, "\n")
	if uid != "65534" {
		t.Fatalf("the command ran as %q, want nobody (65534)", uid)
	}
	if strings.Contains(got, "s3cret") {
		t.Fatalf("a command of drover dev's worker read the ZooKeeper credentials from /proc/%d/environ, dev's ZooKeeper: %q",
			pid, strings.TrimSpace(got))
	}
}
