package worker

import "testing"

// worker --allow ./x.sh (a pattern with '/' that is not absolute) is
// accepted, but it can admit nothing: the worker matches a pattern with '/'
// against the absolute path it resolves (policy.allowed), which a relative
// pattern never matches, while the leader's store.MayAllow matches its last
// element against a relative program's name, so every ./x.sh task is
// placed on the worker and fails there, exit 126 ("not allowed on this
// worker: /dir/x.sh"), and /dir/x.sh is never placed on it. An empty
// pattern, which matches nothing either, is refused (exit 2); so should
// this one be, for --allow-env too a pattern no variable name can match.
// (review120)
func TestCheckConfigRefusesRelativePathAllowPattern(t *testing.T) {
	if err := CheckConfig(Config{ID: "w", Allow: []string{"./x.sh"}}); err == nil {
		t.Fatalf("Allow [./x.sh] accepted: a pattern with '/' matches only absolute paths, so this worker refuses every program (exit 126) while the leader places ./x.sh tasks on it")
	}
}
