package main

import (
	"reflect"
	"testing"
)

// A schedule file may share settings the YAML way: a schedule's settings
// given by an alias of another's (b: *a), or merged into its own with a
// merge key (<<: *defaults), as docker-compose files do. An alias was
// refused with "want a mapping of its settings", which it is, and a merge
// key as an unknown setting "<<". (Found by review208.)
func TestScheduleFileAliasesAndMergeKeys(t *testing.T) {
	plain, err := readScheduleFile([]byte(`
a:
  cron: "0 2 * * *"
  retries: 2
  on: {zone: eu}
  cmd: [./report.sh]
b:
  cron: "0 2 * * *"
  retries: 3
  on: {zone: eu}
  cmd: [./report.sh]
`))
	if err != nil {
		t.Fatal(err)
	}
	aliased, err := readScheduleFile([]byte(`
a: &a
  cron: "0 2 * * *"
  retries: 2
  on: {zone: eu}
  cmd: [./report.sh]
b:
  <<: *a
  retries: 3
`))
	if err != nil {
		t.Fatalf("a file with a merge key: %v", err)
	}
	if !reflect.DeepEqual(aliased, plain) {
		t.Errorf("a file with a merge key read as\n%+v\nwant\n%+v", aliased, plain)
	}
	same, err := readScheduleFile([]byte(`
a: &a
  cron: "0 2 * * *"
  retries: 2
  on: {zone: eu}
  cmd: [./report.sh]
b: *a
`))
	if err != nil {
		t.Fatalf("a file with an alias for a schedule's settings: %v", err)
	}
	if len(same) != 2 || same[1].Name != "b" || same[1].Task.Retries != 2 || !reflect.DeepEqual(same[1].Task.Cmd, []string{"./report.sh"}) {
		t.Errorf("b: *a read as %+v", same)
	}
	// A merge key with a setting no schedule has is refused as any.
	if _, err := readScheduleFile([]byte(`
x: {cron: "@hourly", cmd: [a], env: &e {retry: "2"}}
y:
  <<: *e
  cron: "@hourly"
  cmd: [a]
`)); err == nil {
		t.Error("a merged mapping with an unknown setting (retry): accepted")
	}
}
