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
// credentials from /proc (README, Security). But the ZooKeeper it starts
// inherits dev's whole environment: the JVM, which nothing makes not
// dumpable, holds DROVER_ZK_AUTH in /proc/<pid>/environ, which every
// command dev's workers run (as dev's user) may read. Dev runs as nobody.
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

// A scheduler with credentials makes itself not dumpable, so that commands
// run as its user (the systemd units run the worker and the scheduler both
// as drover) cannot read DROVER_ZK_AUTH from /proc/<pid>/environ (README,
// Security). It does so only once it has started, parsed its flags and
// read its config: until then its environ is its user's to read. A command
// may kill its user's processes, and the unit restarts the scheduler at
// once (Restart=always): a command that kills it, with a process of its own
// (setsid: its session is not killed when the command ends) watching /proc
// for the new one, reads the credentials of the cluster's owner. Here the
// test restarts the scheduler as the unit would; up to three tries.
func TestACommandCannotReadARestartedSchedulersCredentials(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, to run the daemons as another user than the test")
	}
	perl, err := exec.LookPath("perl")
	if err != nil {
		t.Skip("needs perl, for the command's /proc watcher")
	}
	if err := os.Chmod(filepath.Dir(binary), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DROVER_ZK_AUTH", "owner:s3cret")
	root, dir := newRoot(), nobodyDir(t)
	stolen := filepath.Join(dir, "stolen")
	// Reads the environ of every process newer than itself for 8s, and
	// writes the first DROVER_ZK_AUTH it finds, with the process's command
	// line, to the file its argument names.
	watcher := filepath.Join(dir, "watch.pl")
	if err := os.WriteFile(watcher, []byte(`my ($out) = @ARGV; my $start = $$; my $end = time + 8;
while (time < $end) {
  opendir(my $d, "/proc") or die;
  for my $p (readdir $d) {
    next unless $p =~ /^\d+$/ && $p > $start;
    open(my $f, "<", "/proc/$p/environ") or next;
    local $/; my $e = <$f>;
    next unless defined $e && $e =~ /(DROVER_ZK_AUTH=[^\0]*)/;
    my $s = $1;
    my $c = do { open(my $cf, "<", "/proc/$p/cmdline"); local $/; <$cf> } // ""; $c =~ tr/\0/ /;
    open(my $o, ">", "$out.new") or die; print $o "pid $p ($c): $s\n"; close $o; rename("$out.new", $out); exit 0;
  }
  closedir $d;
}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	sched := daemonAs(t, root, nobody, "scheduler", "--id", "s1")
	waitFor(t, 20*time.Second, "s1 leads", func() bool {
		return strings.Contains(drover(t, root, "leader").stdout, "s1")
	})
	daemonAs(t, root, nobody, "worker", "--id", "w1")
	for try := 1; try <= 3; try++ {
		pid := sched.Process.Pid
		r := drover(t, root, "submit", "--shell", "--",
			fmt.Sprintf(`setsid %s %s %s </dev/null >/dev/null 2>&1 & sleep 0.5; kill -9 %d`, perl, watcher, stolen, pid))
		if r.code != 0 {
			t.Fatalf("submit: %+v", r)
		}
		waitFor(t, 20*time.Second, "the command to kill the scheduler", func() bool { return gone(pid) })
		sched = daemonAs(t, root, nobody, "scheduler", "--id", "s1") // Restart=always
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			if got, err := os.ReadFile(stolen); err == nil {
				t.Fatalf("try %d: a command killed the scheduler (run as the worker's user, as the systemd units do) and read the credentials of the one started again from /proc: %s",
					try, strings.TrimSpace(string(got)))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}
