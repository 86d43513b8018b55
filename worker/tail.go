package worker

import (
	"errors"
	"io"
	"sync"
	"unicode/utf8"
)

// tail keeps the last n bytes written to it.
type tail struct {
	mu    sync.Mutex
	n     int
	buf   []byte
	total int64
}

func newTail(n int) *tail { return &tail{n: n} }

// copyBufs are the buffers ReadFrom copies through: os/exec copies each
// output pipe of each attempt, and io.Copy would allocate 32 KiB every time.
var copyBufs = sync.Pool{New: func() any { b := make([]byte, 32*1024); return &b }}

// ReadFrom copies r into the tail until EOF, through a pooled buffer.
func (t *tail) ReadFrom(r io.Reader) (int64, error) {
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	var n int64
	for {
		k, err := r.Read(*bp)
		if k > 0 {
			n += int64(k)
			_, _ = t.Write((*bp)[:k])
		}
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.total += int64(len(p))
	if len(p) >= t.n {
		t.buf = append(t.buf[:0], p[len(p)-t.n:]...)
		return len(p), nil
	}
	if over := len(t.buf) + len(p) - t.n; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	t.buf = append(t.buf, p...)
	return len(p), nil
}

// Total is how many bytes were written to it.
func (t *tail) Total() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.total
}

// Since returns a copy of the bytes written after the first from (all
// kept, when fewer are), at most the last n of them, and how many bytes
// were written in all.
func (t *tail) Since(from int64, n int) ([]byte, int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.buf
	if k := t.total - from; k < int64(n) {
		n = int(max(k, 0))
	}
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return append([]byte(nil), b...), t.total
}

// String returns the kept bytes, from the first whole character when the
// start was cut.
func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return tailText(t.buf, t.total > int64(len(t.buf)))
}

// tailText is the end of a text whose start was cut at a byte count
// (cut), from its first whole character: the bytes left of a character
// cut in two would reach the record as U+FFFD.
func tailText(b []byte, cut bool) string {
	for i := 0; cut && i < utf8.UTFMax-1 && len(b) > 0 && !utf8.RuneStart(b[0]); i++ {
		b = b[1:]
	}
	return string(b)
}
