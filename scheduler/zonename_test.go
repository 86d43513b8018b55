package scheduler

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// A schedule's zone that no tzdata could hold ("../../etc/passwd") was
// taken for a zone newer tzdata may add: left in place, not fired, logged
// at every term. It is malformed (ErrUnknownZone not in its error), and
// every name of the system's tzdata is still a zone name. (Noted by
// review106.)
func TestZoneNamesNoTzdataCouldHoldAreMalformed(t *testing.T) {
	for _, tz := range []string{"../../etc/passwd", "/etc/localtime", "Europe/Ber;lin"} {
		if _, _, err := ReadSpec("0 * * * *", tz); err == nil || errors.Is(err, ErrUnknownZone) {
			t.Errorf("ReadSpec with --tz %q: %v, want an error that is not ErrUnknownZone", tz, err)
		}
		if _, _, err := ReadSpec("CRON_TZ="+tz+" 0 * * * *", ""); err == nil || errors.Is(err, ErrUnknownZone) {
			t.Errorf("ReadSpec with CRON_TZ=%q: %v, want an error that is not ErrUnknownZone", tz, err)
		}
	}
	// Names time.LoadLocation loads, which earlier releases accepted and
	// fired, are read for compatibility, not written (review118).
	for _, tz := range []string{"Europe//Berlin", "Europe/./Berlin"} {
		if _, compat, err := ReadSpec("0 * * * *", tz); err != nil || compat == nil {
			t.Errorf("ReadSpec with --tz %q: compat %v, %v; want it read for compatibility", tz, compat, err)
		}
	}
	if _, _, err := ReadSpec("0 * * * *", "Mars/Olympus_Mons"); !errors.Is(err, ErrUnknownZone) {
		t.Errorf("a zone name tzdata lacks: %v, want ErrUnknownZone", err)
	}
	const dir = "/usr/share/zoneinfo"
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("no tzdata at %s", dir)
	}
	n := 0
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		name, _ := filepath.Rel(dir, p)
		if filepath.Ext(name) != "" || name[0] < 'A' || name[0] > 'Z' {
			return nil // zone.tab, posixrules... and the right/ and posix/ trees
		}
		n++
		if !zoneName(name) {
			t.Errorf("zoneName(%q) = false for a zone of the system's tzdata", name)
		}
		return nil
	})
	if n < 300 {
		t.Fatalf("walked %d zones of %s", n, dir)
	}
}
