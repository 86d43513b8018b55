package worker

import (
	"context"
	"os/user"
	"testing"
	"time"

	"github.com/drover-sched/drover/store"
)

// Found by security review.

// TestRunAsSetsTheUsersOwnHomeAndName: with --run-as a command runs as the
// lesser user, but taskEnv hands it the root worker's environment as it is:
// HOME=/root, USER=root, LOGNAME=root. Programs then take root's home for
// theirs (git, ssh, pip, shells read and write dotfiles there; a root who
// left /root readable hands them root's config), and the identity the
// variables claim is not the one the process has. (Its uid, gid, groups
// and capabilities are dropped as they should be; the rest of the worker's
// environment, any secret of its unit included, reaches the command too
// unless --clean-env.)
func TestRunAsSetsTheUsersOwnHomeAndName(t *testing.T) {
	cred, err := credentialOf("nobody")
	if err != nil {
		t.Skip(err) // needs root
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		t.Skip(err)
	}
	t.Setenv("HOME", "/root")
	t.Setenv("USER", "root")
	t.Setenv("LOGNAME", "root")
	task := &store.Task{ID: "01JAAAAAAAAAAAAAAAAAAAAAAA", Attempt: 1, Shell: true,
		Cmd: []string{`echo "$(id -un) HOME=$HOME USER=$USER LOGNAME=$LOGNAME"`}}
	out := execute(context.Background(), task, "w-exec", store.OutputTail, time.Now, policy{cred: cred})
	want := "nobody HOME=" + u.HomeDir + " USER=nobody LOGNAME=nobody\n"
	if out.Stdout != want {
		t.Fatalf("a command run as nobody saw %q, want %q (%+v)", out.Stdout, want, out)
	}
}
