package worker

import (
	"fmt"
	"strings"
	"testing"

	"github.com/drover-sched/drover/store"
)

// TestReview171CheckConfigAcceptsRegistrationThatCannotBeWritten: 8db6c59
// bounds labels (store.MaxWorkerLabelBytes) so that "with its allow-lists
// (MaxAllowBytes each) and handlers, its registration must fit a record",
// checked in CheckConfig so a command line is refused before connecting.
// But the bounds count raw bytes, and the registration is JSON: '<', '>',
// '&' and control characters are written as six bytes each. Labels and
// both allow-lists within their bounds, no handler, make a registration
// over store.MaxRecordSize: CheckConfig (and New) accept it, and Run then
// fails ("registration cannot be written") only after connecting.
func TestReview171CheckConfigAcceptsRegistrationThatCannotBeWritten(t *testing.T) {
	labels := map[string]string{}
	for i := 0; store.LabelBytes(labels) < store.MaxWorkerLabelBytes-256; i++ {
		labels[fmt.Sprintf("k%04d%s", i, strings.Repeat("<", 59))] = strings.Repeat("<", 64)
	}
	// Allow-env patterns must match a variable name: a character class
	// does ("[<<<…<A]" matches A).
	pattern := func(format string) []string {
		var ps []string
		for i := 0; store.AllowBytes(ps) < store.MaxAllowBytes-4200; i++ {
			ps = append(ps, fmt.Sprintf(format, i, strings.Repeat("<", 4000)))
		}
		return ps
	}
	cfg := Config{ID: "w1", Commands: true, Labels: labels, Capacity: 4, Allow: pattern("/p%04d/%s"), AllowEnv: pattern("V%04d[%sA]")}
	if err := CheckConfig(cfg); err != nil {
		t.Logf("refused: %v", err)
		return // refused before connecting
	}
	info := store.WorkerInfo{ID: cfg.ID, Capacity: cfg.Capacity, Labels: cfg.Labels, Allow: cfg.Allow, AllowEnv: cfg.AllowEnv, EnvRule: true}
	if _, err := store.Encode(&info); err != nil {
		t.Fatalf("CheckConfig accepts labels of %d bytes and allow-lists of %d and %d (each within its bound), but the registration cannot be written, so Run fails after connecting: %v",
			store.LabelBytes(labels), store.AllowBytes(cfg.Allow), store.AllowBytes(cfg.AllowEnv), err)
	}
}
