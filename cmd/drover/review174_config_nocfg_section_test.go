package main

import (
	"os"
	"path/filepath"
	"testing"
)

// A section named after a command that reads no config file, cobra's
// `completion bash|zsh|fish|powershell` and `help` (isHelpOrCompletion skips
// the file for them), passes the file's check, as every leaf command's
// name makes a section, but no command ever reads it: `bash: {output:
// json}` is accepted and ignored, exit 0. The check refuses a section of a
// group command for this very reason; these want the same. (review174)
func TestConfigSectionOfACommandThatReadsNoConfig(t *testing.T) {
	root := newRoot()
	dir := t.TempDir()
	for _, section := range []string{"bash", "zsh", "fish", "powershell", "help"} {
		cfg := filepath.Join(dir, section+".yaml")
		if err := os.WriteFile(cfg, []byte(section+":\n  output: json\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		r := drover(t, root, "--config", cfg, "version")
		if r.code != 2 {
			t.Errorf("config file %q: `drover version` exit %d, stderr %q: a section no command reads was accepted (neither `drover completion SHELL` nor `drover help` reads a config file); want exit 2",
				section+": {output: json}", r.code, r.stderr)
			continue
		}
		oneLineError(t, r, 2, section)
	}
}
