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
