package main

import (
	"strings"
	"testing"
)

// A key may be an alias of another (YAML's `*k :`): it names the aliased
// key's schedule, here a second time, which is refused as a name given
// twice is. readScheduleFile named the schedule after the anchor ("k"),
// one the file never names, and applied both.
func TestScheduleApplyAliasKeyIsTheNameItAliases(t *testing.T) {
	for _, body := range []string{
		"&k a:\n  cron: '@daily'\n  cmd: [x]\n*k :\n  cron: '@daily'\n  cmd: [y]\n",
		"? &k a\n: {cron: '@daily', cmd: [x]}\n? *k\n: {cron: '@daily', cmd: [y]}\n",
	} {
		specs, err := readScheduleFile([]byte(body))
		if err == nil || !strings.Contains(err.Error(), `"a" already defined at line 1`) {
			var names []string
			for _, s := range specs {
				names = append(names, s.Name)
			}
			t.Errorf("%q: schedules %q, error %v; want refused, a named twice", body, names, err)
		}
	}
	// An alias of a name given once names that schedule.
	specs, err := readScheduleFile([]byte("a: {cron: '@daily', cmd: [&k c]}\n*k : {cron: '@daily', cmd: [y]}\n"))
	if err != nil || len(specs) != 2 || specs[0].Name != "a" || specs[1].Name != "c" {
		t.Errorf("a, and an alias of c: %d schedules (%q), %v; want a and c", len(specs), namesOf(specs), err)
	}
}
