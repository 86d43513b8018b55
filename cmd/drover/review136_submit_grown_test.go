package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestReview136SubmitFileGrownSendsWhatWasChecked: 9b93ffc says "a file
// grown between the reads stops at what was checked", and its code says
// "grown since: what was checked is sent". But the send pass returns
// errChanged from EachSpec's callback at the first line past the checked
// count, before the chunk being gathered (up to submitChunk, 1,000
// tasks) is sent, and `if err == nil && len(chunk) > 0` then drops that
// chunk: of a file of fewer than 1,000 tasks, none of the checked is
// sent (of 1,500 grown to 1,501, 1,000 are and 500 are not). (Before
// the change the last chunk was dropped too, once the count differed; the
// change only stopped an unchecked line riding in a full chunk: what it
// says it does, send what was checked, it does not.)
//
// The file is grown while submit connects to ZooKeeper, which it does
// between its two reads: its ZooKeeper address is a loopback proxy that
// forwards only once the line is appended.
func TestReview136SubmitFileGrownSendsWhatWasChecked(t *testing.T) {
	root := newRoot()
	makeCluster(t, root)
	file := filepath.Join(t.TempDir(), "tasks.jsonl")
	line := `{"cmd":["true"]}` + "\n"
	if err := os.WriteFile(file, []byte(line+line), 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	connected, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	defer func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			once.Do(func() { close(connected) })
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-release
				z, err := net.Dial("tcp", zkAddr)
				if err != nil {
					c.Close()
					return
				}
				mu.Lock()
				conns = append(conns, c, z)
				mu.Unlock()
				go func() { io.Copy(z, c); z.Close() }()
				io.Copy(c, z)
				c.Close()
			}()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "--zk", ln.Addr().String(), "--root", root, "--session-timeout", "5s", "submit", "-f", file)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-connected: // the check pass is done: submit connects after it
	case <-ctx.Done():
		t.Fatal("submit never connected")
	}
	f, err := os.OpenFile(file, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(line); err != nil {
		t.Fatal(err)
	}
	f.Close()
	close(release)
	err = cmd.Wait()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	queued := 0
	if r := drover(t, root, "ls", "--state", "queued", "-o", "json"); r.code == 0 {
		queued = strings.Count(r.stdout, `"id"`)
	}
	if queued != 2 {
		t.Fatalf("submit -f of 2 checked tasks, the file grown to 3 between its reads: %d task(s) submitted (exit %d, stdout %q, stderr %q): want the 2 checked sent, as the code says (\"what was checked is sent\")",
			queued, code, out.String(), strings.TrimSpace(errb.String()))
	}
}
