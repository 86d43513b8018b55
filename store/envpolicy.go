package store

import (
	"maps"
	"path"
	"slices"
	"strings"
)

// EnvPolicy is what a worker lets a command task's variables be: the rule
// the worker applies before it runs one, and the leader when it places
// one (a task sent where its variables are refused failed there, exit
// 126, while a worker beside it would have run it).
type EnvPolicy struct {
	// Restricted: the worker has a program allow-list. Without AllowEnv,
	// a task may then not set the variables that make a program run other
	// code (UnsafeEnvName).
	Restricted bool
	// AllowEnv, when not empty, lists glob patterns (path.Match) every
	// name but Drover's own (SlotEnvName) must match; the unsafe names are
	// then the operator's to list or not.
	AllowEnv []string
}

// NewEnvPolicy is the rule of a worker with the program allow-list allow
// and the env patterns allowEnv: the same for the worker and for a leader
// reading its registration.
func NewEnvPolicy(allow, allowEnv []string) EnvPolicy {
	return EnvPolicy{Restricted: len(allow) > 0, AllowEnv: allowEnv}
}

// Refused is the first of names, in order, the policy refuses, and
// whether for being unsafe (rather than unlisted or no variable name);
// "" when it refuses none.
func (p EnvPolicy) Refused(names []string) (name string, unsafe bool) {
	if p.Restricted && len(p.AllowEnv) == 0 {
		for _, k := range names {
			if UnsafeEnvName(k) {
				return k, true
			}
		}
	}
	for _, k := range names {
		if SlotEnvName(k) {
			continue // Drover's own, set by a schedule's firing or trigger
		}
		if !ValidEnvName(k) ||
			len(p.AllowEnv) > 0 && !slices.ContainsFunc(p.AllowEnv, func(pat string) bool { ok, _ := path.Match(pat, k); return ok }) {
			return k, false
		}
	}
	return "", false
}

// Open says whether the policy refuses no variable name a task may have.
func (p EnvPolicy) Open() bool { return !p.Restricted && len(p.AllowEnv) == 0 }

// EnvNames is env's names, sorted: the order Refused reads them in.
func EnvNames(env map[string]string) []string { return slices.Sorted(maps.Keys(env)) }

// SlotEnvName says whether name is one of the variables a schedule's
// firing (and a trigger) puts in its task's env: Drover's own, which a
// client may not set, so no policy judges them.
func SlotEnvName(name string) bool { return name == "DROVER_SCHEDULE" || name == "DROVER_SLOT" }

// UnsafeEnvName says whether a variable changes what a program runs rather
// than how: the dynamic loader's, shells' startup files and functions, PATH
// (a script's commands), interpreters' startup and library paths. With an
// allow-list a task may not set them: an allowed script would run whatever
// they name. Names are compared in upper case.
func UnsafeEnvName(name string) bool {
	u := strings.ToUpper(name)
	if slices.Contains(unsafeEnvNames, u) {
		return true
	}
	for _, prefix := range unsafeEnvPrefixes {
		if strings.HasPrefix(u, prefix) {
			return true
		}
	}
	return false
}

var (
	unsafeEnvNames = []string{"PATH", "BASH_ENV", "ENV", "SHELLOPTS", "BASHOPTS", "PS4", "IFS", "CDPATH", "GLOBIGNORE",
		"PROMPT_COMMAND", "ZDOTDIR", "FPATH", "GCONV_PATH", "LOCPATH", "NLSPATH", "HOSTALIASES", "RESOLV_HOST_CONF",
		"PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE", "PYTHONINSPECT", "PERL5LIB", "PERLLIB", "PERL5OPT",
		"PERL5DB", "RUBYLIB", "RUBYOPT", "NODE_OPTIONS", "NODE_PATH", "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS",
		"JDK_JAVA_OPTIONS", "CLASSPATH", "SSH_ASKPASS",
		// Tools an allowed script calls, that run a command or load code
		// their variables name (tar's checkpoint actions, rsync's remote
		// shell, editors and pagers (vi's start-up commands), make's flags
		// and the makefiles it reads before any other, OpenSSL's engines, Lua's
		// and Ruby gems' paths, Python's warnings (with BROWSER) and
		// breakpoints), and the homes their dotfiles come from.
		"TAR_OPTIONS", "RSYNC_RSH", "EDITOR", "VISUAL", "PAGER", "MANPAGER", "LESSOPEN", "LESSCLOSE", "VIMINIT", "EXINIT",
		"GVIMINIT", "MYVIMRC", "MAKEFLAGS", "MFLAGS", "GNUMAKEFLAGS", "MAKEFILES", "OPENSSL_CONF", "OPENSSL_ENGINES", "LUA_INIT", "LUA_PATH", "LUA_CPATH", "GEM_HOME",
		"GEM_PATH", "PYTHONWARNINGS", "PYTHONBREAKPOINT", "BROWSER", "HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME",
		// Build tools: make takes these from the environment, and its
		// rules run them through the shell (the flags too: gcc's -wrapper,
		// -fplugin); go's -toolexec, rustc's wrappers, svn's and rsync's
		// transports, sudo's and the JVM tools' options.
		"CC", "CXX", "CPP", "AR", "AS", "LD", "FC", "LEX", "YACC", "M4", "CFLAGS", "CXXFLAGS", "CPPFLAGS", "LDFLAGS",
		"GOFLAGS", "RUSTC_WRAPPER", "RUSTC_WORKSPACE_WRAPPER", "RUSTFLAGS", "SVN_SSH", "RSYNC_CONNECT_PROG",
		"SUDO_ASKPASS", "JAVA_OPTS", "MAVEN_OPTS", "GRADLE_OPTS", "ANT_OPTS", "GCC_EXEC_PREFIX", "COMPILER_PATH",
		// The rest of GNU make's built-in variables (make -p): its default
		// rules, and `make clean`'s $(RM), hand them to the shell.
		"RM", "LDLIBS", "LOADLIBES", "TARGET_ARCH", "OUTPUT_OPTION", "ARFLAGS", "ASFLAGS", "FFLAGS", "LFLAGS", "YFLAGS",
		"PFLAGS", "RFLAGS", "GFLAGS", "COFLAGS", "LINTFLAGS", "CO", "GET", "PC", "M2C", "LINT", "MAKEINFO", "TEX",
		"TEXI2DVI", "WEAVE", "CWEAVE", "TANGLE", "CTANGLE",
		// zip and unzip prepend these to their arguments (zip's -TT runs a
		// command through the shell); systemd's and sudo's editors and pagers.
		"ZIP", "ZIPOPT", "UNZIP", "UNZIPOPT", "SYSTEMD_PAGER", "SYSTEMD_EDITOR", "SUDO_EDITOR",
		// Settings files and start-up code others read: go's settings file
		// (GOFLAGS in it) and toolchain, other version controls' editors and
		// transports, man's options (--pager), Erlang's and Elixir's flags
		// (-eval), .NET's start-up hooks, autoconf's site file, PHP's and
		// R's start-up files, Gradle's home (init scripts), Bundler's Gemfile,
		// and the shell that flock -c, script -c and GNU parallel run.
		"GOENV", "GOTOOLCHAIN", "SVN_EDITOR", "CVSEDITOR", "CVS_RSH", "HGEDITOR", "HGRCPATH", "MANOPT", "ERL_AFLAGS",
		"ERL_FLAGS", "ERL_ZFLAGS", "ELIXIR_ERL_OPTIONS", "DOTNET_STARTUP_HOOKS", "CONFIG_SITE", "PHPRC", "PHP_INI_SCAN_DIR",
		"R_PROFILE", "R_PROFILE_USER", "R_ENVIRON", "R_ENVIRON_USER", "GRADLE_USER_HOME", "BUNDLE_GEMFILE", "SHELL"}
	// Every GIT_ variable: git runs GIT_EXTERNAL_DIFF, GIT_PROXY_COMMAND,
	// GIT_ASKPASS, GIT_SSH, GIT_EDITOR, GIT_PAGER … through the shell;
	// cargo its CARGO_TARGET_<triple>_RUNNER, npm its npm_config_* (all
	// names are compared in upper case); go build passes CGO_CFLAGS and
	// the like to the C compiler (-wrapper); Lua reads LUA_INIT_5_4 and the
	// other versioned names before LUA_INIT; yarn takes any setting from a
	// YARN_ variable (YARN_YARN_PATH: the yarn it runs).
	unsafeEnvPrefixes = []string{"LD_", "BASH_FUNC_", "DYLD_", "GIT_", "CARGO_", "NPM_CONFIG_", "CGO_", "LUA_INIT_", "LUA_PATH_", "LUA_CPATH_", "YARN_"}
)
