package store

import (
	"crypto/rand"
	"errors"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/oklog/ulid/v2"
)

// ErrInvalidName is returned for a root, worker id, task id or name that cannot be
// used as (part of) a znode path.
var ErrInvalidName = errors.New("invalid name")

// Layout computes every znode path Drover uses under one root. It holds no state
// beyond the root, so any process derives the same paths.
//
//	<root>/election/n_<guid>-<seq>      scheduler candidates (ephemeral sequential)
//	<root>/epoch                        leader epoch, bumped by each new leader
//	<root>/workers/<worker>             worker registrations (ephemeral)
//	<root>/queue/<b1>/<b2>/<task>       queued tasks
//	<root>/tasks/<worker>/<task>.<n>    attempt n of task placed on worker
//	<root>/tasks/<worker>/manifest-<a>  copy of the assignments placed with <a>
//	<root>/results/<b1>/<b2>/<task>     terminal outcomes
//	<root>/keys/<h>/<hash>              idempotency keys -> task id
//	<root>/keyindex/<b1>/<b2>/<task>    key hash of a task submitted with a key
//	<root>/schedules/<name>             cron schedules with their last slot
//	<root>/deadletter/d-<seq>           malformed data moved aside
//	<root>/cordons/<worker>             workers given no new work (persistent)
//	<root>/follow/<task>                followers of a task's live output (ephemeral)
//
// Buckets b1/b2 come from the task id (a ULID): b1 is its first 6 characters
// (a ~17.5 minute window of id time), b2 the next 2 (a 1.024 s window inside
// it). A task's queue and result paths are therefore computed from its id
// without listing, and no directory's child list can outgrow one getChildren
// reply: ids are paced (NewTaskID) and Submit refuses more than
// MaxBucketTasks in one bucket.
type Layout struct {
	Root string
}

// NewLayout validates root ("/drover" when empty) and returns its layout.
func NewLayout(root string) (Layout, error) {
	if root == "" {
		root = "/drover"
	}
	if !isAbsPath(root) {
		return Layout{}, fmt.Errorf("root %q: must be an absolute path below / (no trailing /) like /drover: %w", root, ErrInvalidName)
	}
	parts := strings.Split(root[1:], "/")
	for i, part := range parts {
		if err := ValidateNodeName(part); err != nil {
			return Layout{}, fmt.Errorf("root %q: %w", root, err)
		}
		// Within a cluster at the path above it, a directory of its
		// layout holds that cluster's records: its leader would take a
		// cluster made there for malformed ones of its own, and move it
		// to its deadletter, accepted tasks and all.
		if i > 0 && layoutName(part) {
			return Layout{}, fmt.Errorf("root %q: %q names a directory of a cluster's layout, and a leader of one at %q would take this one's records for its own: pick another name: %w",
				root, part, "/"+strings.Join(parts[:i], "/"), ErrInvalidName)
		}
	}
	return Layout{Root: root}, nil
}

// layoutName reports whether name is that of a directory below a root
// (Dirs) or of the epoch record. Not follow: the cluster above reads no
// name there but those of the tasks its workers run, so a cluster at
// /x/follow (allowed before follow existed) is left alone by it.
func layoutName(name string) bool {
	l := Layout{Root: "/"}
	return name != path.Base(l.Follow()) &&
		slices.ContainsFunc(append(l.Dirs(), l.Epoch()), func(p string) bool { return path.Base(p) == name })
}

// isAbsPath reports whether p is an absolute znode path below "/", without a
// trailing slash.
func isAbsPath(p string) bool {
	return strings.HasPrefix(p, "/") && p != "/" && !strings.HasSuffix(p, "/")
}

func (l Layout) join(parts ...string) string { return path.Join(append([]string{l.Root}, parts...)...) }

// Dirs returns the persistent directories every process may assume exist.
func (l Layout) Dirs() []string {
	return []string{l.Election(), l.Workers(), l.Queue(), l.Tasks(), l.Results(), l.Keys(), l.KeyIndex(), l.Deadletter(), l.Schedules(), l.Cordons(), l.Follow()}
}

func (l Layout) Election() string   { return l.join("election") }
func (l Layout) Epoch() string      { return l.join("epoch") }
func (l Layout) Workers() string    { return l.join("workers") }
func (l Layout) Queue() string      { return l.join("queue") }
func (l Layout) Tasks() string      { return l.join("tasks") }
func (l Layout) Results() string    { return l.join("results") }
func (l Layout) Keys() string       { return l.join("keys") }
func (l Layout) KeyIndex() string   { return l.join("keyindex") }
func (l Layout) Deadletter() string { return l.join("deadletter") }
func (l Layout) Cordons() string    { return l.join("cordons") }
func (l Layout) Follow() string     { return l.join("follow") }

// FollowNode is where the workers publish task id's live output while a
// follower is there (see LiveOutput).
func (l Layout) FollowNode(id string) string { return l.join("follow", id) }

// Cordon is the cordon of worker id (see Cordon).
func (l Layout) Cordon(id string) string { return l.join("cordons", id) }

// IsRecord reports whether path is where the layout keeps a record rather
// than a directory: the epoch, a candidate, a registration, a queue item, an
// assignment or manifest, a result, a key, a key index entry, a schedule,
// a deadletter record, a cordon or a follower. No record has znodes under it; one found
// there was put there by something other than Drover (see Txn.Commit).
func (l Layout) IsRecord(path string) bool {
	rel, ok := strings.CutPrefix(path, l.Root+"/")
	if !ok {
		return false
	}
	parts := strings.Split(rel, "/")
	switch parts[0] {
	case "epoch":
		return len(parts) == 1
	case "election", "workers", "schedules", "deadletter", "cordons", "follow":
		return len(parts) == 2
	case "tasks", "keys":
		return len(parts) == 3
	case "queue", "results", "keyindex":
		return len(parts) == 4
	}
	return false
}

// Worker is the registration znode of a worker.
func (l Layout) Worker(id string) string { return l.join("workers", id) }

// WorkerTasks is the directory holding a worker's assignments.
func (l Layout) WorkerTasks(worker string) string { return l.join("tasks", worker) }

// Assignment is the znode of attempt n of a task placed on worker. The attempt is
// part of the name so a withdrawn attempt can never be confused with a later one
// placed on the same worker.
func (l Layout) Assignment(worker, task string, attempt int) string {
	return l.join("tasks", worker, AssignmentName(task, attempt))
}

// AssignmentName is the last path element of an assignment.
func AssignmentName(task string, attempt int) string { return fmt.Sprintf("%s.%d", task, attempt) }

// manifestPrefix starts the name of a manifest in a worker's directory; no
// assignment name starts so (task ids are ULIDs).
const manifestPrefix = "manifest-"

// ManifestName is the name of the manifest of the assignments a transaction
// placed on one worker, named after the first of them (unique: an assignment
// name is never created twice in one directory).
func ManifestName(firstAssignment string) string { return manifestPrefix + firstAssignment }

// IsManifestName reports whether a name in a worker's directory is a manifest.
func IsManifestName(name string) bool { return strings.HasPrefix(name, manifestPrefix) }

// ParseAssignmentName splits "<task>.<attempt>".
func ParseAssignmentName(name string) (task string, attempt int, err error) {
	i := strings.LastIndexByte(name, '.')
	if i <= 0 {
		return "", 0, fmt.Errorf("assignment %q: %w", name, ErrInvalidName)
	}
	// Only the canonical spelling AssignmentName writes is accepted: "t.01"
	// or "t.+1" would name attempt 1 with a second znode.
	attempt, err = strconv.Atoi(name[i+1:])
	if err != nil || attempt < 1 || strconv.Itoa(attempt) != name[i+1:] {
		return "", 0, fmt.Errorf("assignment %q: bad attempt: %w", name, ErrInvalidName)
	}
	if err := ValidateTaskID(name[:i]); err != nil {
		return "", 0, err
	}
	return name[:i], attempt, nil
}

// MaxBucketTasks bounds the tasks whose ids fall into one bucket (one 1.024 s
// window of id time), so listing a queue or result bucket stays far below
// jute.maxbuffer (~30 bytes a name: ~480 KiB at the bound). Submit refuses
// more; NewTaskID paces ids to stay below it.
const MaxBucketTasks = 16384

// MaxCapacity bounds a worker's capacity and prefetch together, and so the
// assignments in its directory (tasks/<w>), which the leader and the worker
// list whole: at ~30 bytes a name, well below jute.maxbuffer (a worker of
// capacity 40,000 had a 1.3 MB directory no zkCli.sh could list). Workers
// refuse more; the leader places no more on one whose registration says
// more.
const MaxCapacity = 10000

// idsPerMilli is how many ids NewTaskID hands out per millisecond of id time:
// 12 per millisecond is 12,288 per bucket, under MaxBucketTasks.
const idsPerMilli = 12

var idGen struct {
	sync.Mutex
	ms int64
	n  int
	// entropy is the generator's own: ulid's shared default one starts
	// afresh at every ulid.Make of another millisecond (a manifest's name,
	// say), and an id made after one sorted before the ids of its
	// millisecond half of the time.
	entropy *ulid.MonotonicEntropy
}

// NewTaskID returns a new task id (a ULID) for a task submitted now. Ids of
// one process increase, and no more than idsPerMilli share a millisecond: a
// burst of submissions faster than that gets ids slightly ahead of the clock
// instead of overfilling one bucket.
func NewTaskID(now time.Time) string {
	idGen.Lock()
	defer idGen.Unlock()
	ms := now.UnixMilli()
	if ms <= idGen.ms {
		ms = idGen.ms
		if idGen.n >= idsPerMilli {
			ms++
		}
	}
	if ms != idGen.ms {
		idGen.ms, idGen.n = ms, 0
	}
	idGen.n++
	if idGen.entropy == nil {
		idGen.entropy = ulid.Monotonic(rand.Reader, 0)
	}
	id, err := ulid.New(uint64(ms), idGen.entropy)
	if err != nil {
		// The random part overflowed within the millisecond: the next one,
		// whose ids all sort after.
		idGen.ms, idGen.n = ms+1, 1
		id = ulid.MustNew(uint64(ms+1), idGen.entropy)
	}
	return id.String()
}

// onePerBucket is the first of ids in each bucket they fall in, in order.
func onePerBucket(ids []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, id := range ids {
		b1, b2 := Bucket(id)
		if !seen[b1+b2] {
			seen[b1+b2] = true
			out = append(out, id)
		}
	}
	return out
}

// Bucket returns the two bucket levels of a task id. The id must be valid.
func Bucket(id string) (b1, b2 string) { return id[:6], id[6:8] }

// BucketWindow is the span of id time one bucket holds: ids share their first
// 8 characters, of the 10 that spell the time, for 2^10 ms.
const BucketWindow = 1024 * time.Millisecond

// IDAt is an id of time t for naming t's buckets (Bucket, EnsureBuckets). It
// is no task's: it comes from no generator's sequence.
func IDAt(t time.Time) string { return ulid.MustNew(ulid.Timestamp(t), nil).String() }

// BucketEnd is when the time window of a bucket ends: b1 alone (b2 "") is a
// first-level bucket. A name that is not a bucket of ours ends never.
func BucketEnd(b1, b2 string) time.Time {
	prefix := b1 + b2
	never := time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	if len(prefix) > ulid.EncodedSize {
		return never
	}
	id, err := ulid.ParseStrict(prefix + strings.Repeat("Z", ulid.EncodedSize-len(prefix)))
	if err != nil {
		return never
	}
	return ulid.Time(id.Time())
}

// IsBucket reports whether b1 (and b2, unless "") name a bucket as Bucket
// makes them from a task id: a name in a bucket directory that does not is
// none of Drover's.
func IsBucket(b1, b2 string) bool {
	if len(b1) != 6 || b2 != "" && len(b2) != 2 {
		return false
	}
	prefix := b1 + b2
	if prefix != strings.ToUpper(prefix) {
		return false
	}
	_, err := ulid.ParseStrict(prefix + strings.Repeat("0", ulid.EncodedSize-len(prefix)))
	return err == nil
}

// QueueBucket is the directory holding queued tasks of bucket b1/b2; with
// b2 "", the first-level bucket b1.
func (l Layout) QueueBucket(b1, b2 string) string { return l.join("queue", b1, b2) }

// QueueItem is the queue znode of a task.
func (l Layout) QueueItem(id string) string {
	b1, b2 := Bucket(id)
	return l.join("queue", b1, b2, id)
}

// ResultBucket is the directory holding the results of bucket b1/b2.
func (l Layout) ResultBucket(b1, b2 string) string { return l.join("results", b1, b2) }

// Result is the result znode of a task.
func (l Layout) Result(id string) string {
	b1, b2 := Bucket(id)
	return l.join("results", b1, b2, id)
}

// Key is the idempotency-key znode for a key hash (see KeyHash).
func (l Layout) Key(hash string) string { return l.join("keys", hash[:2], hash) }

// KeyShard is the directory holding the key of hash.
func (l Layout) KeyShard(hash string) string { return l.join("keys", hash[:2]) }

// KeyIndexBucket is the directory naming the tasks of bucket b1/b2 that were
// submitted with a key: retention finds there which keys to drop with the
// bucket's results, without reading every result.
func (l Layout) KeyIndexBucket(b1, b2 string) string { return l.join("keyindex", b1, b2) }

// KeyIndexItem is a keyed task's entry in the key index; it holds the key hash.
func (l Layout) KeyIndexItem(id string) string {
	b1, b2 := Bucket(id)
	return l.join("keyindex", b1, b2, id)
}

// ValidateTaskID accepts ULIDs only: they sort by submit time and carry the
// bucket.
func ValidateTaskID(id string) error {
	if len(id) != ulid.EncodedSize {
		return fmt.Errorf("task id %q: want a %d-character ULID: %w", id, ulid.EncodedSize, ErrInvalidName)
	}
	if _, err := ulid.ParseStrict(id); err != nil {
		return fmt.Errorf("task id %q: %v: %w", id, err, ErrInvalidName)
	}
	if id != strings.ToUpper(id) {
		// Paths use the id as given: one task must have one spelling.
		return fmt.Errorf("task id %q: must be upper case: %w", id, ErrInvalidName)
	}
	return nil
}

// MaxNameLen bounds worker ids, task names and schedule names.
const MaxNameLen = 128

// ValidateName accepts a name: non-empty, at most MaxNameLen bytes, not
// ".", no '/', no whitespace or control characters, no "..". It is the rule for names a
// record holds (a task's name, a label, a handler, a scheduler id); a name
// that is also a znode path element takes ValidateNodeName.
func ValidateName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("empty name: %w", ErrInvalidName)
	case len(name) > MaxNameLen:
		return fmt.Errorf("name %.20q...: longer than %d bytes: %w", name, MaxNameLen, ErrInvalidName)
	case name == ".":
		return fmt.Errorf("name %q: must not be \".\": %w", name, ErrInvalidName)
	case strings.Contains(name, ".."):
		return fmt.Errorf("name %q: must not contain \"..\": %w", name, ErrInvalidName)
	case name == "zookeeper":
		return fmt.Errorf("name %q: reserved: %w", name, ErrInvalidName)
	}
	for _, r := range name {
		if r == unicode.ReplacementChar {
			// Invalid UTF-8 decodes to it too: either way the name would
			// not read back as given.
			return fmt.Errorf("name %q: must not contain U+FFFD (or bytes that are no UTF-8): %w", name, ErrInvalidName)
		}
		if r == '/' || unicode.IsSpace(r) || unicode.IsControl(r) {
			return fmt.Errorf("name %q: must not contain '/', spaces or control characters: %w", name, ErrInvalidName)
		}
	}
	return nil
}

// ValidateNodeName is ValidateName for a name that is one element of a znode
// path: a part of the root, a worker id, a schedule name. It also refuses
// what ZooKeeper refuses in a path (PathUtils.validatePath, in Java's
// UTF-16): U+007F–U+009F, U+D800–U+F8FF, which takes in every character
// beyond U+FFFF (emoji, kept as surrogate pairs) and the private use area,
// and U+FFF0–U+FFFF. Such a name passed, and failed at its create: exit 1
// where bad input is exit 2, or a worker retrying its registration for ever.
func ValidateNodeName(name string) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	for _, r := range name {
		if zkRefusesInPath(r) {
			return fmt.Errorf("name %q: holds %U, which ZooKeeper refuses in a znode name (as any character beyond U+FFFF, such as an emoji, and U+E000–U+F8FF, U+FFF0–U+FFFF): %w",
				name, r, ErrInvalidName)
		}
	}
	return nil
}

// zkRefusesInPath reports whether ZooKeeper refuses r in a znode path.
func zkRefusesInPath(r rune) bool {
	return r < 0x20 || r >= 0x7f && r <= 0x9f || r >= 0xd800 && r <= 0xf8ff || r >= 0xfff0
}
