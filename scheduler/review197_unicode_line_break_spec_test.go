package scheduler

import "testing"

// ce91b68 refuses a cron spec with a line break anywhere in it, its ends
// included (README: "a cron spec with a line break" is refused), by
// controlChar: unicode.IsControl, which takes in \n, \r and U+0085 (NEL).
// Unicode's other line breaks, U+2028 LINE SEPARATOR and U+2029
// PARAGRAPH SEPARATOR, are no control characters (Zl, Zp): the cron
// library reads them as spaces (strings.Fields), TrimSpace trims them at
// either end, and ParseSpec accepts them, at the end or inside; the spec
// is stored as given, and printable() (control and Cf only) shows it raw.
// Expected: refused as "\n" is (a stored one read for compatibility).
func TestReview197SpecWithUnicodeLineSeparatorIsAccepted(t *testing.T) {
	for _, spec := range []string{"0 3 * * *\u2028", "0\u20283 * * *", "\u20290 3 * * *"} {
		if _, err := ParseSpec(spec, ""); err == nil {
			t.Errorf("ParseSpec(%q) accepted it; want it refused as a spec with a line break (as \"0 3 * * *\\n\" is)", spec)
		}
	}
}
