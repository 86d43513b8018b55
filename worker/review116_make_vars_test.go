package worker

import (
	"os"
	"os/exec"
	"testing"
)

// README, Security: with --allow (and no --allow-env) "a task may not set
// the variables that make a program run other code (... CC, CFLAGS, ...
// MAKEFILES ... and their like)". GNU make takes every variable of its
// environment over its built-in defaults, and its built-in rules and
// the commonest recipe of all (clean: $(RM) ...) hand them to the shell.
// unsafeEnv refuses CC, CXX, CPP, AR, AS, LD, CFLAGS, LDFLAGS ..., but not
// RM (make clean), LDLIBS, LOADLIBES or TARGET_ARCH (the built-in rule
// that links a C program: $(CC) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS)
// $(TARGET_ARCH) $^ $(LOADLIBES) $(LDLIBS) -o $@): an allowed build
// script runs whatever a task puts in them, as it did CC.
func TestAllowListIsNotBypassedThroughMakesBuiltinVariables(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make")
	}
	for _, c := range []struct{ name, target string }{{"RM", "clean"}, {"LDLIBS", "hello"}, {"LOADLIBES", "hello"}, {"TARGET_ARCH", "hello"}} {
		t.Run(c.name, func(t *testing.T) {
			if c.target == "hello" {
				if _, err := exec.LookPath("cc"); err != nil {
					t.Skip("no cc")
				}
			}
			dir := t.TempDir()
			if err := os.WriteFile(dir+"/hello.c", []byte("int main(void){return 0;}\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(dir+"/Makefile", []byte("clean:\n\t$(RM) hello\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			script := dir + "/build.sh"
			if err := os.WriteFile(script, []byte("#!/bin/sh\nexec make -s -C "+dir+" "+c.target+"\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			mustNotRunOffTheList(t, dir, script, map[string]string{c.name: "true; touch " + dir + "/pwned; true"})
		})
	}
}
