package main

import (
	"errors"
	"reflect"
	"testing"
)

// parseConfig keeps every scalar as written, through sections, lists,
// aliases and merge keys, and reads a file of several documents as none.
func TestConfigParseKeepsTextAsWritten(t *testing.T) {
	got, err := parseConfig([]byte("---\nid: 0123\nname: 1.10\nworker:\n  id: 0x1F\n  capacity: 1_000\n  clean-env: True\n" +
		"  label: [&l a=1, 007, ~]\n  allow: [*l]\nsubmit: &s\n  key: 1e3\n  priority: \"\"\nls:\n  <<: *s\n  output: ~\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := fileConfig{
		"id": "0123", "name": "1.10",
		"worker": map[string]any{"id": "0x1F", "capacity": "1_000", "clean-env": "True", "label": []any{"a=1", "007", nil}, "allow": []any{"a=1"}},
		"submit": map[string]any{"key": "1e3", "priority": ""},
		"ls":     map[string]any{"key": "1e3", "priority": "", "output": nil},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseConfig =\n%#v\nwant\n%#v", got, want)
	}
	for _, content := range []string{"a: 1\n---\n", "---\n---\n", "---\n---\nb: 2\n"} {
		if _, err := parseConfig([]byte(content)); !errors.Is(err, errSeveralDocuments) {
			t.Errorf("parseConfig(%q) = %v, want errSeveralDocuments", content, err)
		}
	}
	for _, content := range []string{"", "# only a comment\n", "---\n", "---\na: 1\n...\n"} {
		if _, err := parseConfig([]byte(content)); err != nil {
			t.Errorf("parseConfig(%q): %v, want one document", content, err)
		}
	}
}
