// Package tailbuf keeps the last bytes written to a stream: what a child
// process said last, for an error message that says why it ended.
package tailbuf

import (
	"bytes"
	"sync"
)

// Buffer is an io.Writer that keeps the last Max bytes written to it. It is
// safe for concurrent use.
type Buffer struct {
	Max int
	mu  sync.Mutex
	b   []byte
}

// New returns a Buffer keeping the last max bytes.
func New(max int) *Buffer { return &Buffer{Max: max} }

// Write keeps the end of p and never fails.
func (t *Buffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if over := len(t.b) - t.Max; over > 0 {
		t.b = append(t.b[:0], t.b[over:]...)
	}
	return len(p), nil
}

// Len is how many bytes it holds.
func (t *Buffer) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.b)
}

// LastLines returns up to n of the last lines, without trailing white space;
// "" when nothing but white space was written.
func (t *Buffer) LastLines(n int) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	trimmed := bytes.TrimRight(t.b, " \t\r\n")
	if len(trimmed) == 0 {
		return ""
	}
	lines := bytes.Split(trimmed, []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}
