package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// review202: a config file's submit section may set handler and payload
// (cb4183c adds both as taskFlags; README: a file's values are defaults,
// and "Flags beat the environment, which beats the file"). With
// `submit: {handler: upper, payload: default}`, `drover submit
// --payload-file FILE` is refused, exit 2, "--config FILE: give --payload
// or --payload-file, not both": the file's default payload is taken for a
// second one given on the command line, where the command line's should
// win (as `--payload x` does over the file's payload).
func TestReview202ConfigPayloadYieldsToPayloadFile(t *testing.T) {
	root := newRoot()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(cfg, []byte("submit:\n  handler: upper\n  payload: from-the-config\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "payload")
	if err := os.WriteFile(file, []byte("from-the-file"), 0o644); err != nil {
		t.Fatal(err)
	}
	st := openStore(t, root)
	// The file's payload is a default: the command line's --payload beats it.
	r := drover(t, root, "--config", cfg, "submit", "--payload", "given")
	if r.code != 0 {
		t.Fatalf("submit --payload with a config file's payload: %+v", r)
	}
	if task, _, err := st.LookupTask(strings.TrimSpace(r.stdout)); err != nil || string(task.Payload) != "given" {
		t.Fatalf("submit --payload given: task %+v, %v", task, err)
	}
	r = drover(t, root, "--config", cfg, "submit", "--payload-file", file)
	if r.code != 0 {
		t.Fatalf("submit --payload-file with a config file's payload (a default): exit %d, %q; want the file's input submitted", r.code, strings.TrimSpace(r.stderr))
	}
	if task, _, err := st.LookupTask(strings.TrimSpace(r.stdout)); err != nil || string(task.Payload) != "from-the-file" {
		t.Fatalf("submit --payload-file: task %+v, %v; want payload %q", task, err, "from-the-file")
	}
}
