// Package embed tests Drover as a Go program embedding it uses it: through
// the exported API of client, worker, scheduler and store only.
package embed

import (
	"testing"

	"github.com/drover-sched/drover/drovertest"
)

func TestMain(m *testing.M) { drovertest.Main(m) }
