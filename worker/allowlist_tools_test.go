package worker

import (
	"os"
	"os/exec"
	"testing"
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
