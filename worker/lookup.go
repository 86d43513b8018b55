package worker

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// lookupTTL is how long a program's place in PATH is remembered, and
// maxLookups how many programs at most.
const (
	lookupTTL  = time.Second
	maxLookups = 1024
)

// lookups remembers where PATH lookups found programs, for the whole process:
// PATH is the process's, as exec.LookPath reads it. (A pointer tests swap.)
var lookups atomic.Pointer[lookupCache]

func init() { lookups.Store(&lookupCache{now: time.Now}) }

// lookupCache remembers where exec.LookPath found a program, for lookupTTL. A
// worker running many short commands would otherwise stat every PATH
// directory before each one (a dozen stats for /usr/bin/true under a long
// PATH, ~10% of a worker's CPU running `true`). Like a shell's hash table,
// but it forgets after a second, so a program installed earlier in PATH is
// picked up soon; callers forget a remembered path that fails to start.
type lookupCache struct {
	now func() time.Time

	mu    sync.Mutex
	found map[string]lookup
}

type lookup struct {
	path string
	at   time.Time
}

// pathIn returns where name is found in the directories of list (a PATH
// value; "": the process's PATH), and whether that came from memory. A
// name with a slash is returned as is; a failed lookup is not remembered
// (the caller lets exec report it).
func (c *lookupCache) pathIn(name, list string) (string, bool, error) {
	if strings.Contains(name, "/") {
		return name, false, nil
	}
	key := lookupKey(name, list)
	now := c.now()
	c.mu.Lock()
	l, ok := c.found[key]
	c.mu.Unlock()
	if ok && now.Sub(l.at) < lookupTTL && !now.Before(l.at) {
		return l.path, true, nil
	}
	var p string
	var err error
	if list == "" {
		p, err = exec.LookPath(name)
	} else {
		p, err = lookIn(name, list)
	}
	if err != nil {
		return "", false, err
	}
	c.mu.Lock()
	if c.found == nil || len(c.found) >= maxLookups {
		c.found = map[string]lookup{} // bounded: many distinct names start over
	}
	c.found[key] = lookup{path: p, at: now}
	c.mu.Unlock()
	return p, false, nil
}

func lookupKey(name, list string) string {
	if list == "" {
		return name
	}
	return list + "\x00" + name
}

// lookIn finds name in the directories of list as exec.LookPath does in
// PATH's (it checks each candidate: a path with a slash is not searched).
func lookIn(name, list string) (string, error) {
	for _, dir := range filepath.SplitList(list) {
		if dir == "" || !filepath.IsAbs(dir) {
			continue // as exec.ErrDot refuses: only absolute directories
		}
		if p, err := exec.LookPath(filepath.Join(dir, name)); err == nil {
			return p, nil
		}
	}
	return "", &exec.Error{Name: name, Err: fmt.Errorf("executable file not found in %s", list)}
}

// forget drops what is remembered about name in list ("": the process's
// PATH).
func (c *lookupCache) forget(name, list string) {
	c.mu.Lock()
	delete(c.found, lookupKey(name, list))
	c.mu.Unlock()
}
