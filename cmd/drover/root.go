package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/drover-sched/drover/client"
	"github.com/drover-sched/drover/store"
)

// globals are the flags every command shares.
type globals struct {
	zk             string
	root           string
	sessionTimeout time.Duration
	output         string
	logLevel       string
	zkAuthFile     string
	configFile     string
	zkAuth         string // resolved credentials; never printed
	zkReadOnlyAuth string // DROVER_ZK_AUTH_READONLY; never printed
	tlsCA          string
	tlsCert        string
	tlsKey         string
	tls            *tls.Config
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// isHelpOrCompletion reports whether cmd is cobra's help, one of its
// completion commands or what a completion script runs on TAB: they read no
// config and reach no ZooKeeper.
func isHelpOrCompletion(cmd *cobra.Command) bool {
	for c := cmd; c != nil; c = c.Parent() {
		if c.Parent() != nil && c.Parent().Parent() == nil && (c.Name() == "help" || c.Name() == "completion" ||
			// what the completion scripts run on each TAB
			c.Name() == cobra.ShellCompRequestCmd || c.Name() == cobra.ShellCompNoDescRequestCmd) {
			return true
		}
	}
	return false
}

// newRootCmd returns the command tree and the globals its flags fill.
func newRootCmd() (*cobra.Command, *globals) {
	g := &globals{}
	root := &cobra.Command{
		Use:           "drover",
		Short:         "Drover: a distributed task scheduler on ZooKeeper",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if isHelpOrCompletion(cmd) {
				return nil // help must work whatever the config file holds
			}
			if err := applyConfigFile(cmd, g.configFile); err != nil {
				return err
			}
			if g.output != "table" && g.output != "json" && g.output != "wide" {
				return usageErr("--output %q: want table, wide or json", g.output)
			}
			if _, ok := logLevel(g.logLevel); !ok {
				return usageErr("--log-level %q: want debug, info, warn or error", g.logLevel)
			}
			if g.sessionTimeout < time.Second || g.sessionTimeout > time.Minute {
				return usageErr("--session-timeout %v: want 1s..1m", g.sessionTimeout)
			}
			// As an empty --priority or --tz: a root left blank ("$ROOT"
			// unset) is a mistake, and meant the default cluster, /drover.
			if g.root == "" && givenOnCommandLine(cmd, "root") {
				return usageErr("--root \"\": want a root znode like /drover (leave the flag out for the default)")
			}
			if _, err := store.NewLayout(g.root); err != nil {
				return usageErr("--root: %s", nameError(err))
			}
			if err := g.resolveAuth(); err != nil {
				return err
			}
			if err := g.resolveTLS(); err != nil {
				return err
			}
			return nil
		},
	}
	// Every command's flag errors come here (cobra asks the command's
	// parents for the func): unknown flag, a bad value, no argument.
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error { return usageErr("%s", withCommand(cmd, flagError(err))) })
	pf := root.PersistentFlags()
	pf.StringVar(&g.zk, "zk", envOr("DROVER_ZK", "127.0.0.1:2181"), "ZooKeeper servers, comma-separated (env DROVER_ZK)")
	pf.StringVar(&g.root, "root", envOr("DROVER_ROOT", "/drover"), "root znode of this cluster (env DROVER_ROOT)")
	pf.DurationVar(&g.sessionTimeout, "session-timeout", 10*time.Second, "ZooKeeper session timeout: failure detection time (1s to 1m)")
	pf.StringVarP(&g.output, "output", "o", "table", "output format: table, wide (more columns where there are more) or json")
	pf.StringVar(&g.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	pf.StringVar(&g.configFile, "config", os.Getenv("DROVER_CONFIG"), "YAML config file (env DROVER_CONFIG); flags beat the environment, which beats the file")
	pf.StringVar(&g.tlsCA, "zk-tls-ca", "", "PEM CA certificate: connect to ZooKeeper's secure client port over TLS")
	pf.StringVar(&g.tlsCert, "zk-tls-cert", "", "PEM client certificate for TLS (with --zk-tls-key)")
	pf.StringVar(&g.tlsKey, "zk-tls-key", "", "PEM client key for TLS")
	pf.StringVar(&g.zkAuthFile, "zk-auth-file", "", "file holding ZooKeeper digest credentials user:password (or env DROVER_ZK_AUTH)")

	root.AddCommand(
		newSubmitCmd(g), newWaitCmd(g), newStatusCmd(g), newLogsCmd(g), newLsCmd(g),
		newWorkersCmd(g), newLeaderCmd(g), newSchedulerCmd(g), newWorkerCmd(g), newDevCmd(g),
		newCancelCmd(g), newRetryCmd(g), newScheduleCmd(g), newBenchCmd(g), newDeadletterCmd(g), newConfigCmd(g), newVersionCmd(g),
	)
	// Unknown commands and bad argument counts are usage errors too. The
	// line says what the word comes near (cobra's suggestions), or where
	// the commands are listed: seventeen are too many for it.
	root.SuggestionsMinimumDistance = 2 // cobra's own default, which SuggestionsFor does not set
	root.Args = func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return nil
		}
		if near := cmd.SuggestionsFor(args[0]); len(near) > 0 {
			return usageErr("unknown command %q: did you mean %s? (drover --help lists the commands)", args[0], strings.Join(near, " or "))
		}
		return usageErr("unknown command %q (drover --help lists the commands)", args[0])
	}
	// drover alone is bad usage too: one line on stderr, exit 2, as every
	// other usage error (it printed the whole usage there, against the
	// one-line rule). drover help and drover --help still print the usage
	// on stdout, exit 0.
	root.RunE = func(cmd *cobra.Command, args []string) error {
		return usageErr("no command given (drover help lists them)")
	}
	strictCompletion(root)
	strictHelp(root)
	decimalInts(root)
	return root, g
}

// decimalInts makes every whole-number flag of the tree take decimal
// numbers only: pflag reads them as Go literals, so --retries 010 was 8
// (octal), and 0x3, 0b11 and 1_0 were taken, from the command line and a
// config file alike (review174).
func decimalInts(c *cobra.Command) {
	wrap := func(f *pflag.Flag) {
		switch f.Value.Type() {
		case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
			if _, done := f.Value.(decimal); !done {
				f.Value = decimal{f.Value}
			}
		}
	}
	c.LocalFlags().VisitAll(wrap)
	c.PersistentFlags().VisitAll(wrap)
	for _, sub := range c.Commands() {
		decimalInts(sub)
	}
}

// decimal is a whole-number flag's value that takes a decimal number
// (a sign, then digits), leading zeros and all, and nothing else.
type decimal struct{ pflag.Value }

func (d decimal) Set(s string) error {
	sign, digits := "", s
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		sign, digits = s[:1], s[1:]
	}
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		// As strconv says it: flagError and valueError word it, naming
		// the value (0x10, 1.5).
		return &strconv.NumError{Func: "ParseInt", Num: s, Err: strconv.ErrSyntax}
	}
	if digits = strings.TrimLeft(digits, "0"); digits == "" {
		digits = "0"
	}
	if sign == "+" {
		sign = ""
	}
	return d.Value.Set(sign + digits)
}

// wantSubcommand is the RunE of a command that only groups others: run
// alone it is bad usage (it printed the help with exit 0).
func wantSubcommand(cmd *cobra.Command, _ []string) error {
	return usageErr("%s: want one of %s (--help says more)", cmdName(cmd), subcommands(cmd))
}

// subcommandArgs is the Args of a group of commands: a word that names
// none of them is an unknown command (it said the group "takes no
// arguments"), and the line names them.
func subcommandArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	cmd.SuggestionsMinimumDistance = 2 // as the root's
	if near := cmd.SuggestionsFor(args[0]); len(near) > 0 {
		return usageErr("%s: unknown command %s: did you mean %s? (want one of %s)", cmdName(cmd), strconv.Quote(args[0]), strings.Join(near, " or "), subcommands(cmd))
	}
	return usageErr("%s: unknown command %s: want one of %s (--help says more)", cmdName(cmd), strconv.Quote(args[0]), subcommands(cmd))
}

// subcommands names cmd's commands, comma-separated.
func subcommands(cmd *cobra.Command) string {
	var names []string
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() {
			names = append(names, c.Name())
		}
	}
	return strings.Join(names, ", ")
}

// cmdName is cmd's path without the program's name, which every error
// line starts with already ("drover: status: ...").
func cmdName(cmd *cobra.Command) string {
	return strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
}

// withCommand is msg, an error of cmd, led by cmd's name as every usage
// error is ("submit: unknown flag: --bogus"): pflag's errors name no
// command, and the line said only "drover: unknown flag: --bogus". The
// root names none (its line starts "drover: " already), nor does a msg
// that names cmd first.
func withCommand(cmd *cobra.Command, msg string) string {
	if cmd == nil || !cmd.HasParent() {
		return msg
	}
	name := cmdName(cmd)
	if strings.HasPrefix(msg, name+": ") || strings.HasPrefix(msg, name+" ") {
		return msg
	}
	return name + ": " + msg
}

// strictHelp replaces cobra's help command, which printed the root's help
// with exit 0 for a topic it did not know.
func strictHelp(root *cobra.Command) {
	root.SetHelpCommand(&cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		RunE: func(_ *cobra.Command, args []string) error {
			cmd, rest, err := root.Find(args)
			if err != nil || cmd == nil || len(rest) > 0 {
				return usageErr("help: unknown command %q", strings.Join(args, " "))
			}
			return cmd.Help()
		},
	})
}

// strictCompletion makes cobra's completion command treat bad arguments as
// usage errors: by default an unknown shell printed the help with exit 0 and
// an extra argument exited 1.
func strictCompletion(root *cobra.Command) {
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() != "completion" {
			continue
		}
		c.Args = func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageErr("%s: unknown shell %q: want bash, zsh, fish or powershell", cmdName(cmd), args[0])
			}
			return nil
		}
		c.RunE = wantSubcommand
		for _, shell := range c.Commands() {
			shell.Args = noArgs
		}
	}
}

// logLevel parses a --log-level: debug, info, warn or error, in any case
// as before. zerolog.ParseLevel alone also took trace, fatal, panic,
// disabled and any int8 (7, -1), and a daemon so started logged nothing,
// errors included, or everything.
func logLevel(s string) (zerolog.Level, bool) {
	for _, l := range []zerolog.Level{zerolog.DebugLevel, zerolog.InfoLevel, zerolog.WarnLevel, zerolog.ErrorLevel} {
		if strings.EqualFold(s, l.String()) {
			return l, true
		}
	}
	return zerolog.NoLevel, false
}

// logger builds the process logger: readable on a terminal, JSON otherwise.
func (g *globals) logger(component string) zerolog.Logger {
	level, _ := logLevel(g.logLevel)
	var w io.Writer = os.Stderr
	if isatty.IsTerminal(os.Stderr.Fd()) {
		w = zerolog.ConsoleWriter{Out: os.Stderr, TimeFormat: "15:04:05.000"}
	}
	// Milliseconds: failovers and placements are measured in them.
	zerolog.TimeFieldFormat = "2006-01-02T15:04:05.000Z07:00"
	return zerolog.New(w).Level(level).With().Timestamp().Str("component", component).Logger()
}

// servers parses --zk: comma-separated host:port, or a bare host for the
// ZooKeeper client's default port 2181. Bad input is a usage error.
func (g *globals) servers() ([]string, error) {
	var out []string
	for _, s := range strings.Split(g.zk, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if err := checkServer(s); err != nil {
			return nil, usageErr("--zk %q: %v", s, err)
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, usageErr("--zk: no servers given")
	}
	return out, nil
}

// checkServer validates one ZooKeeper address.
func checkServer(s string) error {
	if scheme, _, ok := strings.Cut(s, "://"); ok {
		return fmt.Errorf("no URL (%s://): give host:port", scheme)
	}
	if i := strings.Index(s, "/"); i >= 0 {
		// A Kafka-style connect string: read as a port, it said
		// `port "2181/drover": want 1..65535`.
		return fmt.Errorf("a chroot (%s) is not taken here: give the path as --root", s[i:])
	}
	host, port := s, "2181"
	if strings.Contains(s, ":") {
		var err error
		if host, port, err = net.SplitHostPort(s); err != nil {
			return errors.New("want host:port (an IPv6 address in brackets)")
		}
	}
	if !validHost(host) {
		return fmt.Errorf("bad host %q: want an IP address or a host name", host)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("port %q: want 1..65535", port)
	}
	return nil
}

// validHost says whether host is an IP address or a name the resolver can
// look up: dot-separated labels of letters, digits, '-' and '_'.
func validHost(host string) bool {
	ip, zone, _ := strings.Cut(host, "%") // an IPv6 address may name its zone
	if net.ParseIP(ip) != nil && (zone == "" || strings.Contains(ip, ":")) {
		return true
	}
	if host == "" || len(host) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(host, "."), ".") {
		if label == "" || len(label) > 63 || strings.HasPrefix(label, "-") {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// open connects a daemon (scheduler, worker) to ZooKeeper, giving up after
// about a session timeout.
func (g *globals) open(ctx context.Context, log *zerolog.Logger) (*store.Store, error) {
	return g.openStore(ctx, log, false, true)
}

// openStore is open; with mustExist it creates nothing and fails (exit 1)
// when there is no cluster at --root. A daemon's failure to reach
// ZooKeeper says what it tried, where a client's suggests `drover dev`.
func (g *globals) openStore(ctx context.Context, log *zerolog.Logger, mustExist, daemon bool) (*store.Store, error) {
	servers, err := g.servers()
	if err != nil {
		return nil, err
	}
	octx, cancel := context.WithTimeout(ctx, g.sessionTimeout)
	defer cancel()
	st, err := store.Open(octx, store.Config{Servers: servers, Root: g.root, SessionTimeout: g.sessionTimeout, Logger: log,
		Auth: g.zkAuth, ReadOnlyAuth: g.zkReadOnlyAuth, TLS: g.tls, MustExist: mustExist, RetryNames: daemon})
	if err != nil {
		if errors.Is(err, store.ErrNoCluster) {
			return nil, exitCode(1, fmt.Sprintf("no Drover cluster at %s on %s: nothing has run or been submitted there (check --root)", g.root, g.zk))
		}
		if errors.Is(err, store.ErrNoAuth) {
			return nil, exitCode(1, g.refusedAccess())
		}
		if daemon && errors.Is(err, store.ErrNoAddress) {
			why := "no server name resolves"
			if de := (*net.DNSError)(nil); errors.As(err, &de) {
				why += " (" + de.Error() + ")"
			}
			return nil, exitCode(1, fmt.Sprintf("cannot reach ZooKeeper at %s within --session-timeout %v: %s; exiting, for the service manager to start it again", g.zk, g.sessionTimeout, why))
		}
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			// The client's last failure, when it had one that says more
			// than that nothing listens (a TLS handshake, say).
			var re *store.ReachError
			last := ""
			if errors.As(err, &re) {
				last = re.Last
			}
			if g.tls == nil && strings.HasPrefix(last, "no session handshake") {
				// A TLS port closes on a client's plain handshake.
				last += "; if it is a TLS port, give --zk-tls-ca"
			}
			if daemon {
				// A service (configs/systemd) on a production host: the
				// throw-away local cluster of `drover dev` is no answer;
				// its service manager starts it again.
				if last == "" {
					last = "no session came about"
				}
				return nil, exitCode(1, fmt.Sprintf("cannot reach ZooKeeper at %s within --session-timeout %v: %s; exiting, for the service manager to start it again", g.zk, g.sessionTimeout, last))
			}
			if last != "" && !strings.Contains(last, "connection refused") {
				return nil, exitCode(1, fmt.Sprintf("cannot reach ZooKeeper at %s: %s", g.zk, last))
			}
			// Nothing listens there: a --zk forgotten or mistyped (a dev
			// cluster on another port) as often as no ZooKeeper at all.
			return nil, exitCode(1, fmt.Sprintf("cannot reach ZooKeeper at %s: nothing answers there (check --zk or DROVER_ZK; no cluster yet? drover dev starts one)", g.zk))
		}
		return nil, exitCode(1, err.Error())
	}
	return st, nil
}

// refusedAccess is the message for ZooKeeper refusing this process access
// to the cluster: without credentials, to give them; with them, that they
// were refused, naming where they came from (never what they are).
func (g *globals) refusedAccess() string {
	if g.zkAuth == "" {
		return fmt.Sprintf("ZooKeeper refused access to %s: its znodes belong to another identity; set DROVER_ZK_AUTH or --zk-auth-file", g.root)
	}
	from := "DROVER_ZK_AUTH"
	if g.zkAuthFile != "" {
		from = "--zk-auth-file " + g.zkAuthFile
	}
	return fmt.Sprintf("ZooKeeper refused access to %s with the credentials of %s: its znodes belong to another identity (check the user and password)", g.root, from)
}

// resolveAuth reads the ZooKeeper credentials from --zk-auth-file or
// DROVER_ZK_AUTH. They travel by file or environment only, never on a command
// line where ps would show them, and are never printed.
func (g *globals) resolveAuth() error {
	auth := os.Getenv("DROVER_ZK_AUTH")
	if g.zkAuthFile != "" {
		data, err := readFileMax(g.zkAuthFile, 64<<10)
		if err != nil {
			return usageErr("--zk-auth-file: %v", err)
		}
		// Past a byte order mark (Notepad's UTF-8), as submit -f reads
		// past one: it became part of the user's name.
		if data, err = io.ReadAll(client.SkipBOM(bytes.NewReader(data))); err != nil {
			return usageErr("--zk-auth-file: %v", err)
		}
		// As ssh does with a private key: a secret every user can read (or
		// replace) is no secret, and saying so beats using it.
		if fi, err := os.Stat(g.zkAuthFile); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o007 != 0 {
			return usageErr("--zk-auth-file %s: other users can read or write it (mode %#o): chmod o-rwx %s", g.zkAuthFile, fi.Mode().Perm(), g.zkAuthFile)
		}
		if auth = strings.TrimSpace(string(data)); auth == "" {
			// Connecting without credentials would create znodes open to all.
			return usageErr("--zk-auth-file %s: empty (want user:password)", g.zkAuthFile)
		}
		// Space around the line goes (a trailing CRLF too), but a second
		// line would be read as part of the password: another identity.
		if strings.ContainsAny(auth, "\r\n") {
			return usageErr("--zk-auth-file %s: more than one line (want one user:password line)", g.zkAuthFile)
		}
	}
	if auth != "" {
		if _, _, err := store.ParseDigest(auth); err != nil {
			return usageErr("%v", err) // the message names the format, not the value
		}
	}
	ro := os.Getenv("DROVER_ZK_AUTH_READONLY")
	if ro != "" {
		if auth == "" {
			return usageErr("DROVER_ZK_AUTH_READONLY needs DROVER_ZK_AUTH or --zk-auth-file: a read-only identity is added to the owner's ACL")
		}
		if _, _, err := store.ParseDigest(ro); err != nil {
			return usageErr("DROVER_ZK_AUTH_READONLY: %v", err)
		}
	}
	g.zkAuth, g.zkReadOnlyAuth = auth, ro
	if auth != "" { // (a read-only identity needs it, above)
		// A process with credentials hides them (and its memory) from the
		// other processes of its user: a worker's commands, run as that
		// user, could read them from /proc/<pid>/environ of the worker, of
		// a scheduler beside it, of drover dev.
		if err := notDumpable(); err != nil {
			fmt.Fprintf(os.Stderr, "drover: cannot hide the credentials from this user's other processes: %v\n", err)
		}
	}
	return nil
}

// tlsFlags are the --zk-tls-* flags given, as arguments for a drover process
// this one starts (paths, not secrets).
func (g *globals) tlsFlags() []string {
	var args []string
	for _, f := range [][2]string{{"--zk-tls-ca", g.tlsCA}, {"--zk-tls-cert", g.tlsCert}, {"--zk-tls-key", g.tlsKey}} {
		if f[1] != "" {
			args = append(args, f[0], f[1])
		}
	}
	return args
}

// resolveTLS builds the TLS configuration from --zk-tls-ca, -cert and -key.
func (g *globals) resolveTLS() error {
	if g.tlsCA == "" && g.tlsCert == "" && g.tlsKey == "" {
		return nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if g.tlsCA != "" {
		pem, err := readFileMax(g.tlsCA, 1<<20)
		if err != nil {
			return usageErr("--zk-tls-ca: %v", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return usageErr("--zk-tls-ca %s: no PEM certificate in it", shown(g.tlsCA))
		}
		cfg.RootCAs = pool
	}
	if (g.tlsCert == "") != (g.tlsKey == "") {
		return usageErr("--zk-tls-cert and --zk-tls-key go together")
	}
	if g.tlsCert != "" {
		certPEM, err := readFileMax(g.tlsCert, 1<<20)
		if err != nil {
			return usageErr("--zk-tls-cert: %v", err)
		}
		// A private key others can read is no one's own, as a credentials
		// file others can read is refused (--zk-auth-file).
		if fi, err := os.Stat(g.tlsKey); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o007 != 0 {
			return usageErr("--zk-tls-key %s: other users can read or write it (mode %#o): chmod o-rwx %s", shown(g.tlsKey), fi.Mode().Perm(), shown(g.tlsKey))
		}
		keyPEM, err := readFileMax(g.tlsKey, 1<<20)
		if err != nil {
			return usageErr("--zk-tls-key: %v", err)
		}
		pair, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return usageErr("--zk-tls-cert/--zk-tls-key: %v", err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	g.tls = cfg
	return nil
}

// withClient runs fn with a client for one command; the connection is closed
// after it, and the context ends on SIGINT or SIGTERM.
func (g *globals) withClient(fn func(ctx context.Context, c *client.Client) error) error {
	return g.runClient(false, 0, fn)
}

// withReader is withClient for a command that only reads, or that changes a
// task or a schedule, which must exist: it creates nothing, and there being
// no cluster at --root is an error (a mistyped --root is "no Drover
// cluster", not a new cluster's directories made there).
func (g *globals) withReader(fn func(ctx context.Context, c *client.Client) error) error {
	return g.runClient(true, 0, fn)
}

// withReaderFor is withReader whose context, connecting included, ends after
// timeout (0: no limit).
func (g *globals) withReaderFor(timeout time.Duration, fn func(ctx context.Context, c *client.Client) error) error {
	return g.runClient(true, timeout, fn)
}

func (g *globals) runClient(mustExist bool, timeout time.Duration, fn func(ctx context.Context, c *client.Client) error) error {
	sctx, stop := signalContext()
	defer stop()
	ctx := sctx
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	st, err := g.openStore(ctx, nil, mustExist, false)
	if err != nil {
		if sctx.Err() != nil {
			return exitCode(130, "interrupted while connecting to ZooKeeper at "+g.zk)
		}
		return err
	}
	defer st.Close()
	wctx, stopWatch := context.WithCancel(ctx)
	lost := make(chan time.Duration, 1)
	go func() { lost <- giveUpWhenCutOff(wctx, st, g.sessionTimeout) }()
	ran := make(chan error, 1)
	go func() { ran <- fn(ctx, client.New(st)) }()
	closed := false // the store closed under an interrupted command
	select {
	case err = <-ran:
	case <-sctx.Done():
		// Interrupted. A request on a silent link takes no context and
		// waits for the client to give the connection up (cancel and
		// status of one task held Ctrl-C for a session timeout and more):
		// past interruptWait the store is closed under it, and what is in
		// flight fails at once.
		timer := time.NewTimer(interruptWait)
		select {
		case err = <-ran:
		case <-timer.C:
			st.Close()
			err, closed = <-ran, true
		}
		timer.Stop()
	}
	stopWatch()
	if closed && err != nil {
		// Its error comes of the closed store, which this made: what the
		// user did was interrupt it. A message of the command's own (a
		// submit's ids in doubt) is kept.
		var ee *exitError
		switch {
		case errors.As(err, &ee) && ee.code == 130:
			return err
		case errors.As(err, &ee) && ee.msg != "":
			return exitCode(130, "interrupted: "+ee.msg)
		case errors.Is(err, client.ErrUnconfirmed):
			return exitCode(130, "interrupted (ZooKeeper did not answer): the change in flight may or may not have landed")
		}
		return exitCode(130, "interrupted (ZooKeeper did not answer)")
	}
	if waited := <-lost; waited > 0 && err != nil {
		cutOff := fmt.Sprintf("no session with ZooKeeper at %s for %v, the session timeout", g.zk, waited)
		if msg := messageOf(err); msg != "" {
			return exitCode(1, fmt.Sprintf("%s (%s)", msg, cutOff))
		}
		return exitCode(1, cutOff)
	}
	if err != nil && sctx.Err() != nil {
		// A signal ends the command with 130, as a shell's interrupted
		// command, saying what it was doing.
		var ee *exitError
		if errors.As(err, &ee) && (ee.code == 2 || ee.code == 130) {
			return err
		}
		msg := messageOf(err)
		if errors.Is(err, context.Canceled) {
			msg = "interrupted"
		}
		return exitCode(130, msg)
	}
	return err
}

// interruptWait is how long an interrupted command may take to end on its
// own before its store is closed under it.
const interruptWait = time.Second

// writeGrace is how long after an interrupt a write in flight still waits
// for its answer (graceCtx): under interruptWait, so that it ends on its
// own, its answer in hand or given up, before the store is closed.
const writeGrace = interruptWait - 200*time.Millisecond

// graceCtx is ctx, but ending grace after ctx does: a write in flight when
// the command is interrupted gets that long for its answer. (Given up at
// once, a submit over a slow link left a batch in doubt whose answer was
// on its way.)
func graceCtx(ctx context.Context, grace time.Duration) (context.Context, context.CancelFunc) {
	g, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() {
		time.AfterFunc(grace, func() { cancel(context.Cause(ctx)) })
	})
	return g, func() { stop(); cancel(context.Canceled) }
}

// messageOf is what run prints for err.
func messageOf(err error) string {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.msg
	}
	return err.Error()
}

// giveUpWhenCutOff closes st once it has gone a whole session timeout
// without a session while a command runs, and returns how long it waited
// then (0: it did not). A
// command waits out a lost connection (a wait, a submit's lost reply), so
// with the server gone for good it waited for ever, with no word. Within
// the timeout it waits, as a session may survive that long.
func giveUpWhenCutOff(ctx context.Context, st *store.Store, after time.Duration) time.Duration {
	var since time.Time // when the session was last seen gone; zero: it is there
	var waited time.Duration
	for {
		ok, changed := st.Connected()
		var expired <-chan time.Time
		var t *time.Timer
		if ok {
			since = time.Time{}
		} else {
			if since.IsZero() {
				since = time.Now()
			}
			// The server may have granted more than was asked (its
			// minimum is twice its tick): the session lives that long.
			waited = max(after, st.GrantedSessionTimeout())
			t = time.NewTimer(time.Until(since.Add(waited)))
			expired = t.C
		}
		select {
		case <-ctx.Done():
			return 0
		case <-changed:
			if t != nil {
				t.Stop()
			}
		case <-expired:
			st.Close()
			return waited
		}
	}
}

func newVersionCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if g.output == "json" {
				return writeJSON(cmd.OutOrStdout(), map[string]string{"version": version})
			}
			_, err := fmt.Fprintln(cmd.OutOrStdout(), "drover "+version)
			return err
		},
	}
}

// noArgs is cobra.NoArgs as a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		if cmdName(cmd) == "worker" && (args[0] == "cordon" || args[0] == "uncordon") {
			// drover worker runs one; drover workers lists and cordons them.
			return usageErr("worker takes no arguments, got %q: did you mean drover workers %s?", args[0], args[0])
		}
		return usageErr("%s takes no arguments, got %q", cmdName(cmd), args[0])
	}
	return nil
}

// notDumpable makes this process's /proc files (environ, mem) and ptrace
// root's alone, as ssh-agent does; it also means no core dump.
func notDumpable() error {
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_DUMPABLE, 0, 0); errno != 0 {
		return fmt.Errorf("prctl(PR_SET_DUMPABLE, 0): %w", errno)
	}
	return nil
}

// flagValue matches pflag's error for a number or boolean flag's value
// that does not parse, whose end is Go's parser text.
var flagValue = regexp.MustCompile(`^invalid argument ("(?:[^"\\]|\\.)*") for "([^"]+)" flag: strconv\.(Parse\w+): parsing "(?:[^"\\]|\\.)*": (.*)$`)

// flagError says what a flag's value should have been, not what Go's
// parser said (`--retries "1.5": want a whole number`, not `strconv.ParseInt:
// parsing "1.5": invalid syntax`).
func flagError(err error) string {
	if m := flagDuration.FindStringSubmatch(err.Error()); m != nil {
		return m[2] + " " + m[1] + ": " + store.WantDuration
	}
	m := flagValue.FindStringSubmatch(err.Error())
	if m == nil {
		return err.Error()
	}
	return m[2] + " " + m[1] + ": " + wantOf(m[3], m[4] == strconv.ErrRange.Error())
}

// flagDuration matches pflag's error for a duration flag's value that does
// not parse (time.ParseDuration's text: `time: unknown unit "x" in duration
// "5x"`); durationText matches time.ParseDuration's alone, naming the value.
var (
	flagDuration = regexp.MustCompile(`^invalid argument ("(?:[^"\\]|\\.)*") for "([^"]+)" flag: time: .*duration "(?:[^"\\]|\\.)*"$`)
	durationText = regexp.MustCompile(`^time: .*duration ("(?:[^"\\]|\\.)*")$`)
)

// wantOf says what a value parsed by strconv's fn must be.
func wantOf(fn string, outOfRange bool) string {
	switch {
	case fn == "ParseBool":
		return "want true or false"
	case outOfRange:
		return "out of range"
	case fn == "ParseFloat":
		return "want a number"
	}
	return "want a whole number"
}

// valueError is flagError for a config file's value (setFlag): the
// strconv error itself.
func valueError(err error) error {
	var ne *strconv.NumError
	if errors.As(err, &ne) {
		return fmt.Errorf("%q: %s", ne.Num, wantOf(ne.Func, errors.Is(ne.Err, strconv.ErrRange)))
	}
	if err != nil {
		if m := durationText.FindStringSubmatch(err.Error()); m != nil {
			return fmt.Errorf("%s: %s", m[1], store.WantDuration)
		}
	}
	return err
}
