// Command maxrss runs a command and writes the peak resident set size of
// that command alone, in bytes, to a file:
//
//	maxrss OUT CMD ARGS...
//
// A test cannot take it from the rusage of a child it starts itself: Go
// starts a child sharing its own memory until exec (CLONE_VM), and Linux
// keeps the high-water mark of that memory in the child's ru_maxrss, so the
// figure is at least the test's own peak (hundreds of MB in a race-built
// test binary). This small process starts the command from its own few MB.
// The command's stdin, stdout and stderr are this process's; its exit code
// is this process's too.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: maxrss OUT CMD ARGS...")
		os.Exit(2)
	}
	cmd := exec.Command(os.Args[2], os.Args[3:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		fmt.Fprintln(os.Stderr, "maxrss:", err)
		os.Exit(2)
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		fmt.Fprintln(os.Stderr, "maxrss: no rusage on this system")
		os.Exit(2)
	}
	if err := os.WriteFile(os.Args[1], fmt.Appendf(nil, "%d\n", ru.Maxrss<<10), 0o644); err != nil { // KiB on Linux
		fmt.Fprintln(os.Stderr, "maxrss:", err)
		os.Exit(2)
	}
	os.Exit(cmd.ProcessState.ExitCode())
}
