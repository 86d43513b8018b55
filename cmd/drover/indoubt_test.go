package main

import (
	"errors"
	"testing"
)

// A submit cut off with tasks in doubt names them: all of five or fewer,
// else the first and the last.
func TestInDoubtNamesTheTasks(t *testing.T) {
	for _, tc := range []struct {
		ids  []string
		want string
	}{
		{nil, ""},
		{[]string{"A"}, ", ids A"},
		{[]string{"A", "B", "C", "D", "E"}, ", ids A B C D E"},
		{[]string{"A", "B", "C", "D", "E", "F"}, ", ids A to F"},
	} {
		if got := inDoubt(tc.ids); got != tc.want {
			t.Errorf("inDoubt(%q) = %q, want %q", tc.ids, got, tc.want)
		}
	}
}

// A bad task id is said as typed, in its case, without the store's
// sentinel text: `status notanid` said `task id "NOTANID": want a
// 26-character ULID: invalid name`. (Noted by review120.)
func TestBadTaskIDIsSaidAsTyped(t *testing.T) {
	for _, id := range []string{"notanid", "01m91jt8re5qa4m8en56jdjk2"} {
		err := checkTaskID(id)
		if err == nil || err.Error() != `task id "`+id+`": want a 26-character ULID` {
			t.Errorf("checkTaskID(%q) = %v", id, err)
		}
	}
	if err := checkTaskID("01m91jt8re5qa4m8en56jdjk27"); err != nil {
		t.Errorf("a valid id in lower case: %v", err)
	}
}

// A flag's number or boolean that does not parse said Go's parser text
// (`strconv.ParseInt: parsing "1.5": invalid syntax`); it says what was
// wanted. (Noted by review120.)
func TestFlagValueErrorsSayWhatWasWanted(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`invalid argument "1.5" for "--retries" flag: strconv.ParseInt: parsing "1.5": invalid syntax`, `--retries "1.5": want a whole number`},
		{`invalid argument "9e99" for "--capacity" flag: strconv.ParseInt: parsing "9e99": value out of range`, `--capacity "9e99": out of range`},
		{`invalid argument "yes" for "--shell" flag: strconv.ParseBool: parsing "yes": invalid syntax`, `--shell "yes": want true or false`},
		{`invalid argument "5x" for "--timeout" flag: time: unknown unit "x" in duration "5x"`, `--timeout "5x": want a duration such as 90s, 5m or 1h30m`},
		{`invalid argument "5" for "--timeout" flag: time: missing unit in duration "5"`, `--timeout "5": want a duration such as 90s, 5m or 1h30m`},
		{`invalid argument "9999999h" for "--drain-timeout" flag: time: invalid duration "9999999h"`, `--drain-timeout "9999999h": want a duration such as 90s, 5m or 1h30m`},
	} {
		if got := flagError(errors.New(tc.in)); got != tc.want {
			t.Errorf("flagError(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
