package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A config file's `config` and `help` keys pass the file's check (they are
// flags, and "every flag but --key can live in a YAML file", README), but
// applyConfigFile never applies them: it skips "config" by name, and help
// is read by cobra before the file is. A `config: other.yaml` (an include
// the user believes works) and `help: true` are accepted, exit 0, and
// silently do nothing. They must either apply or be refused (exit 2, one
// line), as a section of a group command is (TestConfigSectionOfAGroupCommand).
// (review174)
func TestConfigFileConfigAndHelpKeysAreNotIgnored(t *testing.T) {
	root := newRoot()
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	inner := write("inner.yaml", "output: json\n")
	for _, body := range []string{
		"config: " + inner + "\n",
		"version:\n  config: " + inner + "\n",
		"help: true\n",
		"version:\n  help: true\n",
	} {
		cfg := write("outer.yaml", body)
		r := drover(t, root, "--config", cfg, "version")
		if r.code == 2 {
			oneLineError(t, r, 2, "")
			continue
		}
		applied := json.Valid([]byte(r.stdout))
		if strings.Contains(body, "help") {
			applied = strings.Contains(r.stdout, "Usage:")
		}
		if r.code != 0 || !applied {
			t.Errorf("config file %q with `drover version`: exit %d, stdout %q, stderr %q: the setting was accepted and ignored",
				body, r.code, r.stdout, r.stderr)
		}
	}
}
