package worker

import (
	"os"
	"os/user"
	"slices"
	"strings"
	"testing"

	"github.com/drover-sched/drover/drovertest"
	"github.com/drover-sched/drover/store"
)

// Found by review109.

// TestRunAsGivesTheUsersSupplementaryGroups: with --run-as USER a command
// runs with USER's uid and primary gid, but with no supplementary group at
// all: credentialOf builds a syscall.Credential without Groups, so
// os/exec calls setgroups(0, nil). su, sudo -u, runuser and systemd's
// User= all give the user the groups /etc/group lists it in
// (initgroups(3)); a task run as postgres, say, cannot read the
// ssl-cert group's keys, nor one run as a member of docker reach its
// socket, though `su postgres -c id` shows both. README: --run-as USER
// "runs them as another user".
func TestRunAsGivesTheUsersSupplementaryGroups(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("switching users needs root")
	}
	name, want := userWithSupplementaryGroups(t)
	root := drovertest.NewRoot()
	w, st, _ := startWorker(t, root, "w1", func(c *Config) { c.RunAs = name })
	task := &store.Task{Cmd: []string{"id", "-G"}}
	assign(t, st, w, task)
	got := result(t, st, task.ID)
	groups := strings.Fields(got.Stdout)
	slices.Sort(groups)
	if got.State != store.StateSucceeded || !slices.Equal(groups, want) {
		t.Fatalf("a command run as %s has groups %q, want the user's own %q (state %s, error %q)",
			name, groups, want, got.State, got.Error)
	}
}

// userWithSupplementaryGroups finds a user that /etc/group lists as a
// member of a group other than its primary one, and all its group ids
// (sorted); it skips the test when there is none.
func userWithSupplementaryGroups(t *testing.T) (string, []string) {
	t.Helper()
	data, err := os.ReadFile("/etc/group")
	if err != nil {
		t.Skip(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Split(line, ":")
		if len(f) != 4 || f[3] == "" {
			continue
		}
		for _, member := range strings.Split(f[3], ",") {
			u, err := user.Lookup(member)
			if err != nil || u.Gid == f[2] {
				continue
			}
			ids, err := u.GroupIds()
			if err != nil || len(ids) < 2 {
				continue
			}
			slices.Sort(ids)
			return member, ids
		}
	}
	t.Skip("no user with a supplementary group on this host")
	return "", nil
}
