package client

import (
	"errors"
	"strings"
	"testing"
)

// A bad task id is quoted as typed, not as the upper-case form it is
// looked up by: `drover status nope` said "NOPE".
func TestBadTaskIDIsQuotedAsTyped(t *testing.T) {
	for _, id := range []string{"nope", "01hzzzzzzzzzzzzzzzzzzzzzzzz", "01hx-bad"} {
		_, err := taskID(id)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), `"`+id+`"`) {
			t.Errorf("taskID(%q): %v, want ErrInvalid quoting the id as typed", id, err)
		}
	}
	if got, err := taskID("01hx0000000000000000000000"); err != nil || got != "01HX0000000000000000000000" {
		t.Errorf("a lower-case ULID: %q, %v; want its upper-case form", got, err)
	}
}
