package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// drover dev checks its ZooKeeper port by binding it and takes every
// failure for "port N is in use (another ZooKeeper or drover dev?)". A
// port below net.ipv4.ip_unprivileged_port_start that nothing listens on
// fails for a user other than root with EACCES: dev then sends the
// developer looking for a ZooKeeper that is not there, where the cause is
// a permission (the same for any other error of the bind). Dev runs as
// nobody on a privileged port this test has just bound and closed as root.
func TestDevOnAPortItMayNotBindDoesNotSayInUse(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, to run drover dev as another user than the test")
	}
	data, err := os.ReadFile("/proc/sys/net/ipv4/ip_unprivileged_port_start")
	if err != nil {
		t.Skip(err)
	}
	start, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	port := 0
	for p := start - 1; p > 0 && port == 0; p-- {
		if ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p)); err == nil {
			ln.Close()
			port = p
		}
	}
	if port == 0 {
		t.Skipf("no free port below %d", start)
	}
	if err := os.Chmod(filepath.Dir(binary), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dev := exec.CommandContext(ctx, binary, "dev", "--zk-port", fmt.Sprint(port))
	dev.Env = append(os.Environ(), "TMPDIR="+nobodyDir(t))
	dev.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: nobody}
	var stderr bytes.Buffer
	dev.Stderr = &stderr
	err = dev.Run()
	if err == nil {
		t.Fatalf("drover dev as nobody on port %d exited 0", port)
	}
	if strings.Contains(stderr.String(), "in use") {
		t.Fatalf("port %d is free (nobody may not bind it), but drover dev says: %q", port, stderr.String())
	}
	// The flag's value is at fault: bad input, exit 2.
	if code := dev.ProcessState.ExitCode(); code != 2 {
		t.Fatalf("drover dev as nobody on privileged port %d exited %d, want 2 (%q)", port, code, stderr.String())
	}
}
