// Command drover is the one Drover binary: the scheduler and worker daemons, a
// local development cluster, and the commands users submit and inspect work with.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"unicode"
	"unicode/utf8"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/drover-sched/drover/store"

	// Time zones for schedules (--tz) even on hosts without a zoneinfo database.
	_ "time/tzdata"
)

// version is set at build time with -ldflags "-X main.version=..." (make
// build); otherwise releaseVersion says what the build knows.
var version = "dev"

// releaseVersion is version as set at build time, else the version Go
// recorded in the binary (a module version for `go install ...@vX`; for a
// `go build` in a git checkout a pseudo-version naming the commit, with
// "+dirty" for local changes), else "dev" (no VCS stamp: -buildvcs=false, a
// linked worktree, `go run`): workers and schedulers report it, so an
// operator can tell an old process from a new one during an upgrade.
func releaseVersion() string {
	if version != "dev" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return version
}

func main() {
	version = releaseVersion()
	os.Exit(run(os.Args[1:]))
}

// init hides credentials given in the environment at once, before the
// flags and the config file are read (which took 10 to 30 ms): until a
// process is not dumpable, its user's other processes may read them from
// /proc/<pid>/environ, and a command that kills a daemon of its user could
// read those of the one started again. A moment still remains, from the
// exec to here: see README, Security. (globals.setAuth does it again, and
// reports a failure.)
func init() {
	if os.Getenv("DROVER_ZK_AUTH") != "" || os.Getenv("DROVER_ZK_AUTH_READONLY") != "" {
		_ = notDumpable()
	}
}

// run executes the CLI and returns the process exit code.
func run(args []string) int {
	root, g := newRootCmd()
	root.SetArgs(args)
	out := &checkedWriter{w: os.Stdout}
	root.SetOut(out)
	cmd, err := root.ExecuteC()
	if err == nil {
		if werr := out.failed(); werr != nil {
			// Its result (a task's output, a new run's id, what was
			// done) is lost: exit 0 would say all went well.
			fmt.Fprintln(os.Stderr, "drover: "+printable(oneLine(werr.Error())))
			return 1
		}
		return 0
	}
	var ex *exitError
	if errors.As(err, &ex) {
		if ex.msg != "" {
			msg := fromFile(cmd, g.configFile, ex)
			if ex.code == 2 && strings.HasPrefix(msg, "-") && !strings.HasPrefix(msg, "--config") {
				// A flag's check names its flag first ("--limit -1: ..."):
				// led by the command, as a flag that does not parse is
				// (withCommand). The config file's are every command's.
				msg = withCommand(cmd, msg)
			}
			fmt.Fprintln(os.Stderr, "drover: "+printable(msg))
		}
		return ex.code
	}
	if errors.Is(err, store.ErrNoAuth) && !errors.Is(err, store.ErrReadOnlyIdentity) {
		fmt.Fprintln(os.Stderr, "drover: "+g.refusedAccess())
		return 1
	}
	fmt.Fprintln(os.Stderr, "drover: "+printable(oneLine(err.Error())))
	return 1
}

// fromFile is the message of ex, bad input (exit 2), naming the config file
// file when it names a flag of cmd whose value came from there: a range
// check's "--capacity 0: want 1 to 10000" named a flag the user never
// typed (a systemd unit's ExecStart has none) and not the file.
func fromFile(cmd *cobra.Command, file string, ex *exitError) string {
	if cmd == nil || file == "" || ex.code != 2 || strings.Contains(ex.msg, file) {
		return ex.msg
	}
	named := false
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if _, set := f.Annotations[fromConfigFile]; set && !named {
			named = mentionsFlag(cmd, ex.msg, f.Name) || mentionsValue(ex.msg, f.Name, f.Value.String())
		}
	})
	if !named {
		return ex.msg
	}
	return fmt.Sprintf("--config %s: %s", file, ex.msg)
}

// mentionsFlag says whether msg, an error of cmd, names the flag name: as
// --name anywhere (not part of another flag: --wait-timeout is not
// --timeout), or as a bare word where a flag check puts it, first or after
// the command's name ("submit: retries 5000: ..."), or by its shorthand
// ("-o json"): a bad line of a -f file
// ("line 1: timeout -5s") names a field, not the flag.
func mentionsFlag(cmd *cobra.Command, msg, name string) bool {
	for _, lead := range []string{"", cmdName(cmd) + ": "} {
		if strings.HasPrefix(msg, lead+name+" ") || strings.HasPrefix(msg, lead+name+":") {
			return true
		}
	}
	// After the command and its argument ("schedule add x: retries 5000").
	if rest, ok := strings.CutPrefix(msg, cmdName(cmd)+" "); ok {
		if arg, after, ok := strings.Cut(rest, ": "); ok && !strings.Contains(arg, " ") &&
			(strings.HasPrefix(after, name+" ") || strings.HasPrefix(after, name+":")) {
			return true
		}
	}
	if f := cmd.Flags().Lookup(name); f != nil && f.Shorthand != "" && strings.Contains(" "+msg, " -"+f.Shorthand+" ") {
		// By its shorthand, as a check that says what the user would have
		// typed does ("not with -o json"): the file's output: json. A
		// word of its own, not a value quoted ("-o"), which may be any.
		return true
	}
	return hasToken(msg, "--"+name, wordByte)
}

// mentionsValue says whether msg holds value, the config file's value of
// the flag name, where a check that words the setting otherwise puts it:
// quoted ("time zone \"Mars/Base\"", "run as \"x\""), or after the flag's
// words ("starting deadline -1s"). Anywhere else it is no sign (the "json"
// of output: json in a file name).
func mentionsValue(msg, name, value string) bool {
	if value == "" {
		return false
	}
	if strings.Contains(msg, strconv.Quote(value)) || len(value) > 20 && strings.Contains(msg, fmt.Sprintf("%.20q...", value)) {
		return true // whole, or cut as a long name is ("name %.20q...")
	}
	return hasToken(msg, strings.ReplaceAll(name, "-", " ")+" "+value, alnum)
}

// hasToken says whether msg holds tok with no byte of inWord just before
// or after it (not part of a longer word).
func hasToken(msg, tok string, inWord func(byte) bool) bool {
	for i := 0; ; {
		j := strings.Index(msg[i:], tok)
		if j < 0 {
			return false
		}
		at, end := i+j, i+j+len(tok)
		if (at == 0 || !inWord(msg[at-1])) && (end == len(msg) || !inWord(msg[end])) {
			return true
		}
		i = at + 1
	}
}

func alnum(b byte) bool {
	return b == '_' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}

func wordByte(b byte) bool {
	return b == '-' || b == '_' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}

// printable escapes the control characters of an error line (\x1b, \a,
// a newline): most messages quote what was typed, but some (pflag's
// unknown flag, an open's or a user look-up's error) hold it raw, and a
// terminal took the escapes for commands (retitled, cleared). Format
// characters (a right-to-left override) are escaped too, as tables quote
// them: they reorder what the line shows; and bytes that are no UTF-8.
func printable(s string) string {
	if utf8.ValidString(s) && !strings.ContainsFunc(s, unprintable) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			// A byte that is no UTF-8 (0x9b is CSI to an 8-bit terminal).
			fmt.Fprintf(&b, "\\x%02x", s[i])
		case unprintable(r):
			q := strconv.QuoteRune(r) // '\x1b', '\n'
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func unprintable(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }

// checkedWriter is standard output noting its first failed write (a full
// disk, /dev/full): every command's result goes through it.
type checkedWriter struct {
	w   io.Writer
	mu  sync.Mutex
	err error
}

func (c *checkedWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	// A reader gone (EPIPE) is seen only by a command that catches SIGPIPE
	// to outlive it, drover dev (`| tee` with tee gone): its output is a
	// log, and it stops as cleanly as before.
	if err != nil && !errors.Is(err, syscall.EPIPE) {
		c.mu.Lock()
		if c.err == nil {
			c.err = err // "write /dev/stdout: no space left on device"
		}
		c.mu.Unlock()
	}
	return n, err
}

func (c *checkedWriter) failed() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
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

// withCause makes a start-up error that ends in log lines one line: its
// first line, and of the lines below it the first that names an error (a
// Java exception, "Address already in use"), else the last; cutting it at
// its first line said "last log lines:" and none.
func withCause(msg string) string {
	head, rest, ok := strings.Cut(msg, "\n")
	if !ok {
		return msg
	}
	var cause string
	for line := range strings.Lines(rest) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if l := strings.ToLower(line); strings.Contains(l, "exception") || strings.Contains(l, "error") || strings.Contains(l, "in use") {
			cause = line
			break
		}
		cause = line
	}
	head = strings.TrimSuffix(strings.TrimSpace(head), ":")
	head = strings.TrimSuffix(head, "; last log lines")
	if cause == "" {
		return head
	}
	return head + ": " + cause
}
