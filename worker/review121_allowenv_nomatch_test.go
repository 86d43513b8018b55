package worker

import (
	"testing"

	"github.com/drover-sched/drover/store"
)

// b543dd2 refuses an --allow-env pattern "no variable name can match", but
// tests only for '=', space, tab and '/': a variable name is letters,
// digits and '_', not starting with a digit (store.ValidEnvName, which
// submit and the worker both enforce), so `--allow-env 'JOB-*'` (a dash
// for the underscore), 'job.id' or '1*' match no name either, are still
// accepted (exit 0), and every task that sets a variable then fails on
// that worker, exit 126 ("not allowed on this worker: env JOB_ID (see
// --allow-env)") — the very failure the refusal was added for. The check
// could ask whether the pattern's literal characters outside [...] are all
// name characters (or match it against a name built from it). (review121)
func TestCheckConfigRefusesAllowEnvPatternNoNameMatches(t *testing.T) {
	for _, p := range []string{"JOB-*", "job.id", "1*"} {
		if err := CheckConfig(Config{ID: "w", AllowEnv: []string{p}}); err == nil {
			// What the worker then does with a task's valid name.
			denied, _ := policy{allowEnv: []string{p}}.env().Refused([]string{"JOB_ID"})
			t.Errorf("AllowEnv [%q] accepted, though no variable name (letters, digits, '_', no leading digit; ValidEnvName(%q) = %v) can match it: a task with env JOB_ID is refused (denied %q), exit 126",
				p, p, store.ValidEnvName(p), denied)
		}
	}
}
