package drovertest

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// fatalTB records the message of a Fatal and ends the goroutine, as
// testing.T does; the other methods OpenStore calls do nothing.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Helper()        {}
func (f *fatalTB) Cleanup(func()) {}
func (f *fatalTB) Fatal(args ...any) {
	f.msg = fmt.Sprint(args...)
	runtime.Goexit()
}

// A test package whose TestMain does not call Main (this one has none) has
// no server: OpenStore fails, and should say why. It says "connect to
// zookeeper : lookup : no such host (no server address)", naming neither
// Main nor TestMain.
func TestOpenStoreWithoutMainSaysSo(t *testing.T) {
	tb := &fatalTB{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		OpenStore(tb, NewRoot())
	}()
	<-done
	if tb.msg == "" {
		t.Fatal("OpenStore without Main did not fail")
	}
	if !strings.Contains(tb.msg, "Main") {
		t.Fatalf("OpenStore without Main fails with %q, which does not say to call drovertest.Main from TestMain", tb.msg)
	}
}
