package main

import "testing"

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
