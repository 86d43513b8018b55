package scheduler

import (
	"fmt"
	"testing"

	"github.com/drover-sched/drover/store"
)

// TestEnvFitsMemoAgreesAndStaysBounded: a worker's answers by a shape's
// variable names are kept (a hostile allow_env cost up to a second a
// judgement, once per task and free worker in every pass, review169), agree
// with the policy's own, and are bounded.
func TestEnvFitsMemoAgreesAndStaysBounded(t *testing.T) {
	w := slot{Env: store.NewEnvPolicy(nil, []string{"JOB_*"})}
	for i := range 2 * maxEnvSeen {
		name := fmt.Sprintf("JOB_%d", i)
		if i%2 == 1 {
			name = fmt.Sprintf("OTHER_%d", i)
		}
		enc := string(appendLabel(nil, name))
		for range 2 { // the second answer from the memo
			if got, want := w.envFitsMemo(enc), envFits(w.Env, enc); got != want {
				t.Fatalf("%s: memo says %v, the policy %v", name, got, want)
			}
		}
		if len(w.envSeen) > maxEnvSeen {
			t.Fatalf("%d answers kept, more than %d", len(w.envSeen), maxEnvSeen)
		}
	}
}
