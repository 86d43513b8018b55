// Command drover is the one Drover binary: the scheduler and worker daemons, a
// local development cluster, and the commands users submit and inspect work with.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/drover-sched/drover/store"

	// Time zones for schedules (--tz) even on hosts without a zoneinfo database.
	_ "time/tzdata"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:]))
}

// run executes the CLI and returns the process exit code.
func run(args []string) int {
	root := newRootCmd()
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return 0
	}
	var ex *exitError
	if errors.As(err, &ex) {
		if ex.msg != "" {
			fmt.Fprintln(os.Stderr, "drover: "+ex.msg)
		}
		return ex.code
	}
	if errors.Is(err, store.ErrNoAuth) {
		fmt.Fprintln(os.Stderr, "drover: ZooKeeper refused access: the cluster's znodes belong to another identity; set DROVER_ZK_AUTH or --zk-auth-file")
		return 1
	}
	fmt.Fprintln(os.Stderr, "drover: "+oneLine(err.Error()))
	return 1
}

// exitError carries an exit code and a one-line message.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// usageErr is a bad flag, argument or input: exit code 2.
func usageErr(format string, args ...any) error {
	return &exitError{code: 2, msg: oneLine(fmt.Sprintf(format, args...))}
}

// exitCode ends the process with code, printing msg when not empty.
func exitCode(code int, msg string) error { return &exitError{code: code, msg: oneLine(msg)} }

func oneLine(s string) string {
	for i, r := range s {
		if r == '\n' {
			return s[:i]
		}
	}
	return s
}
