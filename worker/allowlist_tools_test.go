package worker

import (
	"os"
	"os/exec"
	"slices"
	"testing"

	"github.com/drover-sched/drover/store"
)

// The built-in list of unsafe variables (an allow-list without
// --allow-env) names TAR_OPTIONS because tar runs a command its variable
// names; Info-ZIP zip does the same: it prepends $ZIP and $ZIPOPT to its
// arguments, and `-T -TT CMD` runs CMD through the shell to test the
// archive. An allowed script that zips then ran anything, with no file to
// hand, as TAR_OPTIONS did.
func TestAllowListIsNotBypassedThroughZipVariables(t *testing.T) {
	for _, c := range []struct{ tool, name string }{{"zip", "ZIP"}, {"zip", "ZIPOPT"}} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := exec.LookPath(c.tool); err != nil {
				t.Skip("no " + c.tool)
			}
			dir := t.TempDir()
			var body, value string
			switch c.tool {
			case "zip":
				if err := os.WriteFile(dir+"/a", []byte("a\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				body = "cd " + dir + " && zip -q out.zip a\n"
				value = `-T -TT "touch ` + dir + `/pwned;:"`
			}
			script := dir + "/job.sh"
			if err := os.WriteFile(script, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
				t.Fatal(err)
			}
			mustNotRunOffTheList(t, dir, script, map[string]string{c.name: value})
		})
	}
}

// The variables by which zip, go build's C compiler, Lua 5.x and gcc run
// code they name are refused under an allow-list, as TAR_OPTIONS is (the
// test above runs zip; go, lua and gcc are not always at hand).
func TestUnsafeEnvNamesToolsThatRunCode(t *testing.T) {
	restricted := store.EnvPolicy{Restricted: true}
	for _, name := range []string{"ZIP", "zipopt", "UNZIP", "CGO_CFLAGS", "CGO_LDFLAGS", "LUA_INIT_5_4", "LUA_PATH_5_3", "LUA_CPATH_5_4",
		"GCC_EXEC_PREFIX", "COMPILER_PATH", "SYSTEMD_PAGER", "SUDO_EDITOR"} {
		if got, unsafe := restricted.Refused(store.EnvNames(map[string]string{name: "x", "GREETING": "hi"})); got != name || !unsafe {
			t.Errorf("env with %s refused %q (unsafe %v), want it refused as unsafe", name, got, unsafe)
		}
	}
	if got, _ := restricted.Refused(store.EnvNames(map[string]string{"GREETING": "hi", "ZIPCODE": "1"})); got != "" {
		t.Errorf("harmless variables refused: %q", got)
	}
}

// A worker started with no PATH of its own (an empty environment, a unit
// without one) gives its commands the default PATH; it gave them none.
func TestTaskEnvOfAWorkerWithoutPath(t *testing.T) {
	t.Setenv("PATH", "x") // restored after the test
	os.Unsetenv("PATH")
	env := taskEnv(&store.Task{ID: "01JAAAAAAAAAAAAAAAAAAAAAAA", Attempt: 1}, "w1", false, nil)
	if !slices.Contains(env, "PATH=/usr/local/bin:/usr/bin:/bin") {
		t.Fatalf("a worker without PATH: its command's environment %q has no PATH", env)
	}
	t.Setenv("PATH", "/opt/bin")
	env = taskEnv(&store.Task{ID: "01JAAAAAAAAAAAAAAAAAAAAAAA", Attempt: 1}, "w1", false, nil)
	if !slices.Contains(env, "PATH=/opt/bin") || slices.Contains(env, "PATH=/usr/local/bin:/usr/bin:/bin") {
		t.Fatalf("a worker's own PATH is not its commands' alone: %q", env)
	}
}
