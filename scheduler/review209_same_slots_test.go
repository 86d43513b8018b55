package scheduler

import "testing"

// SameSlots says two specs name the same slots only when they do: forms
// of one spec are the same, specs that differ in any slot, or zones that
// differ at any time, are not (an update that takes them for the same
// would fire the new spec's slots before it was written).
func TestSameSlots(t *testing.T) {
	for _, tc := range []struct {
		aCron, aTZ, bCron, bTZ string
		same                   bool
	}{
		{"0 0 * * *", "", "@daily", "", true},
		{"0 0 * * *", "", "0 0 0 * * *", "", true},
		{"0 * * * MON-FRI", "", "0 * * * mon-fri", "", true},
		{"0 * * * 1-5", "", "0 * * * mon-fri", "", true},
		{"0 0 * * 0", "", "0 0 * * 7", "", true},
		{"@every 60s", "", "@every 1m", "", true},
		{"@every 1m", "Europe/Berlin", "@every 1m", "", true},
		{"0 * * * *", "UTC", "0 * * * *", "Etc/UTC", true},
		{"0 * * * *", "", "CRON_TZ=Etc/UTC 0 * * * *", "", true},
		{"0 2 * * *", "Europe/Kiev", "0 2 * * *", "Europe/Kyiv", true},
		{"TZ=Europe/Berlin 0 2 * * *", "", "0 2 * * *", "Europe/Berlin", true},

		{"0 0 * * 1", "", "0 0 1-31 * 1", "", false}, // a day of the month named: either day fires
		{"0 0 * * *", "", "0 0 1 * * *", "", false},
		{"@every 1m", "", "* * * * *", "", false}, // an @every runs from its last slot
		{"@every 60s", "", "@every 61s", "", false},
		{"0 2 * * *", "UTC", "0 2 * * *", "Europe/London", false},
		{"0 2 * * *", "Europe/Berlin", "0 2 * * *", "Europe/Paris", false}, // alike since 1980 only
		{"0 2 * * *", "", "0 2 * * *", "Nowhere/Atlantis", false},
	} {
		if got := SameSlots(tc.aCron, tc.aTZ, tc.bCron, tc.bTZ); got != tc.same {
			t.Errorf("SameSlots(%q in %q, %q in %q) = %v, want %v", tc.aCron, tc.aTZ, tc.bCron, tc.bTZ, got, tc.same)
		}
	}
}
