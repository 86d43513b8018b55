package client

import (
	"bytes"
	"testing"
	"time"
)

// FuzzReadSpecs feeds the JSONL reader arbitrary input: it must return specs
// or an error, never panic, and every spec it returns must make a valid task.
func FuzzReadSpecs(f *testing.F) {
	f.Add([]byte("{\"cmd\":[\"true\"]}\n"))
	f.Add([]byte("{\"cmd\":[\"x\"],\"timeout\":\"10m\",\"on\":{\"gpu\":\"true\"},\"priority\":\"high\",\"key\":\"k\"}\n\n{\"handler\":\"h\",\"payload\":\"aGk=\"}\n"))
	f.Add([]byte("{\"cmd\":[\"x\"],\"bogus\":1}"))
	f.Add([]byte("{\"cmd\":[\"x\"]} {\"cmd\":[\"y\"]}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		specs, err := ReadSpecs(bytes.NewReader(data))
		if err != nil {
			return
		}
		for i, s := range specs {
			if _, err := s.Task(fixedNow); err != nil {
				t.Fatalf("spec %d accepted but invalid: %v", i, err)
			}
		}
	})
}

var fixedNow = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
