// Package store is Drover's only door to ZooKeeper: it owns the znode layout, the
// record codecs and the transactions (fenced where a leader writes) that every
// other package uses. Nothing outside this package imports the ZooKeeper client.
package store

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"
)

// Sentinel errors callers branch on. Errors returned by Store wrap one of these
// where the condition applies.
var (
	ErrNoNode     = errors.New("znode does not exist")
	ErrNodeExists = errors.New("znode already exists")
	ErrBadVersion = errors.New("znode version changed")
	ErrNotEmpty   = errors.New("znode has children")
	// ErrFenced means a transaction's fence (the writer's election znode or
	// assignment) is gone: the writer lost its role and must not retry.
	ErrFenced = errors.New("fenced: writer no longer holds its role")
	// ErrConnection means the outcome of a request is unknown because the
	// connection dropped; state must be re-read before acting on it.
	ErrConnection = errors.New("zookeeper connection lost")
	// ErrSessionExpired means the session that owned ephemeral znodes is gone.
	ErrSessionExpired = errors.New("zookeeper session expired")
	// ErrClosed means the store was closed: it never works again, and every
	// call made on it from then on (or under way at the close) fails with
	// it, so a caller that retries on ErrConnection stops.
	ErrClosed = errors.New("store closed")
	// ErrNoAddress means a server name did not resolve (the client then
	// tries none of them): Open reached nothing.
	ErrNoAddress = errors.New("no server address")
)

// Config says how to reach ZooKeeper.
type Config struct {
	// Servers are host:port pairs; default 127.0.0.1:2181.
	Servers []string
	// Root is the znode under which everything lives; default /drover.
	Root string
	// MustExist opens only a cluster that exists: Open creates nothing and
	// fails with ErrNoCluster when Root does not exist. For commands that only
	// read, so a mistyped root is not taken for an empty cluster (and left
	// behind as one).
	MustExist bool
	// RetryNames looks the server names up again, every second until ctx
	// ends, when none resolves, as an unreachable server is waited for: a
	// daemon started before its resolver (at boot, or in an outage of it)
	// failed at once, and its service manager's restarts soon reached
	// their limit and stopped. Commands fail at once (a mistyped name).
	RetryNames bool
	// SessionTimeout is the ZooKeeper session timeout; default 10s. It bounds how
	// long a dead leader or worker keeps its role.
	SessionTimeout time.Duration
	// Logger receives connection events; default: disabled.
	Logger *zerolog.Logger
	// Auth is a ZooKeeper digest identity "user:password". When set, the store
	// authenticates with it and every znode it creates is readable and writable
	// by that identity only (plus ReadOnlyAuth, read only). Never logged.
	Auth string
	// ReadOnlyAuth is an optional "user:password" identity given read access
	// (for dashboards).
	ReadOnlyAuth string
	// TLS, when set, is used to reach ZooKeeper's secure client port.
	TLS *tls.Config
}

// ErrNoCluster means Open (with MustExist) found no cluster at its root.
var ErrNoCluster = errors.New("no Drover cluster")

// ErrNoAuth means ZooKeeper refused an operation for lack of rights: the
// znodes carry ACLs of another identity.
var ErrNoAuth = errors.New("not authorized by ZooKeeper ACLs")

// ParseDigest splits "user:password", refusing empty parts.
func ParseDigest(s string) (user, password string, err error) {
	user, password, ok := strings.Cut(s, ":")
	if !ok || user == "" || password == "" {
		return "", "", errors.New("ZooKeeper credentials: want user:password")
	}
	return user, password, nil
}

func aclFor(auth, readOnly string) ([]zk.ACL, error) {
	if auth == "" {
		if readOnly != "" {
			return nil, errors.New("a read-only identity needs credentials (Auth) too")
		}
		return zk.WorldACL(zk.PermAll), nil
	}
	user, pass, err := ParseDigest(auth)
	if err != nil {
		return nil, err
	}
	acl := zk.DigestACL(zk.PermAll, user, pass)
	if readOnly != "" {
		ru, rp, err := ParseDigest(readOnly)
		if err != nil {
			return nil, fmt.Errorf("read-only identity: %w", err)
		}
		acl = append(acl, zk.DigestACL(zk.PermRead, ru, rp)...)
	}
	return acl, nil
}

// Store is a connection to ZooKeeper plus the layout under one root. It is safe
// for concurrent use; concurrent calls are pipelined on one connection.
type Store struct {
	conn   *zk.Conn
	layout Layout
	log    zerolog.Logger
	// newer holds the registrations of a newer format already logged (by
	// id and creation), so each is said once, not at every read.
	newerMu        sync.Mutex
	newer          map[string]int64
	acl            []zk.ACL
	sessionTimeout time.Duration
	// heard is when anything last came from the server, in ns since
	// opened (which carries the monotonic clock, so a step of the wall
	// clock moves nothing); granted is the session timeout the server
	// granted (ns; 0: not yet known).
	opened         time.Time
	heard, granted atomic.Int64
	// failure is the client's last failure to connect or to set up a
	// session (a refused dial, a TLS handshake), for Open's error.
	failure atomic.Pointer[string]

	mu        sync.Mutex
	state     zk.State
	sessionID int64
	session   *Session
	changed   chan struct{} // closed and replaced on every state change
	closed    bool

	// dropped counts malformed data done away with, not copied, because
	// deadletter/ was full (see DeadlettersDropped).
	dropped atomic.Uint64

	marks     lateMarks
	buckets   bucketCounts
	schedules scheduleListing
	now       func() time.Time // the clock; tests replace it
	// keysRead, when set by a test, runs after a submit found keys to
	// take over and before it writes.
	keysRead func()
	// keyRecordsRead, when set by a test, runs after a submit read the
	// key records of its tasks and before it reads anything else.
	keyRecordsRead func()
	// waitWatches counts the bucket watches WaitResults calls wait on, for
	// tests.
	waitWatches atomic.Int64
	// liveWatches counts the watches set and not yet fired (LiveWatches).
	liveWatches atomic.Int64
	// abandoned are znodes given up to delete once connected (Abandon);
	// bg owns the goroutine that deletes them.
	abandoned abandonSet
	bg        sync.WaitGroup
}

// Session is one ZooKeeper session. Its Done channel closes when the session
// expires (or the store closes): every ephemeral znode and watch it held is gone,
// even if the client library has quietly opened a new session since.
type Session struct {
	id   int64
	done chan struct{}
	once sync.Once
}

// ID is the ZooKeeper session id.
func (s *Session) ID() int64 { return s.id }

// Done closes when the session has ended.
func (s *Session) Done() <-chan struct{} { return s.done }

func (s *Session) end() { s.once.Do(func() { close(s.done) }) }

// Open connects to ZooKeeper, waits for a session (bounded by ctx) and makes sure
// the layout's directories exist.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if len(cfg.Servers) == 0 {
		cfg.Servers = []string{"127.0.0.1:2181"}
	}
	if cfg.SessionTimeout <= 0 {
		cfg.SessionTimeout = 10 * time.Second
	}
	layout, err := NewLayout(cfg.Root)
	if err != nil {
		return nil, err
	}
	log := zerolog.Nop()
	if cfg.Logger != nil {
		log = *cfg.Logger
	}
	acl, err := aclFor(cfg.Auth, cfg.ReadOnlyAuth)
	if err != nil {
		return nil, err
	}
	s := &Store{layout: layout, log: log, acl: acl, changed: make(chan struct{}), sessionTimeout: cfg.SessionTimeout, now: time.Now,
		opened: time.Now()}
	conn, err := s.connect(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if _, err := s.CurrentSession(ctx); err != nil {
		conn.Close()
		rerr := &ReachError{Servers: strings.Join(cfg.Servers, ","), Err: err}
		if f := s.failure.Load(); f != nil {
			rerr.Last = *f
		}
		return nil, rerr
	}
	if cfg.Auth != "" {
		// Remembered by the client and sent again after every reconnect.
		if err := conn.AddAuth("digest", []byte(cfg.Auth)); err != nil {
			conn.Close()
			return nil, fmt.Errorf("authenticate to ZooKeeper: %w", s.mapErr(err))
		}
	}
	if cfg.MustExist {
		// A read, not Exists, which ZooKeeper answers whatever the ACL:
		// a client kept out (no credentials, or others) is told so here
		// (ErrNoAuth), not by the first znode its command touches.
		_, _, err := s.Get(layout.Root)
		if errors.Is(err, ErrNoNode) {
			err = fmt.Errorf("%w at %s", ErrNoCluster, layout.Root)
		}
		if err != nil {
			conn.Close()
			return nil, err
		}
		return s, nil
	}
	if cfg.Auth != "" {
		if err := s.checkNotReadOnly(); err != nil {
			conn.Close()
			return nil, err
		}
	} else if _, _, err := s.Get(layout.Root); err != nil && !errors.Is(err, ErrNoNode) {
		// Without credentials, a tree others made secured: EnsurePath
		// creates nothing where it exists, and checkNotWorldWritable
		// runs only with credentials, so a scheduler or worker would
		// retry its election or registration for ever.
		conn.Close()
		return nil, err
	}
	// EnsurePath's errors name the path already ("create X: create X: ..."
	// said it twice).
	for _, dir := range append([]string{layout.Root}, layout.Dirs()...) {
		if err := s.EnsurePath(dir); err != nil {
			conn.Close()
			return nil, err
		}
	}
	if err := s.EnsurePath(layout.Epoch()); err != nil {
		conn.Close()
		return nil, err
	}
	if cfg.Auth != "" {
		if err := s.checkNotWorldWritable(); err != nil {
			conn.Close()
			return nil, err
		}
	}
	return s, nil
}

// connect starts the client, with cfg.RetryNames looking the names up again
// until ctx ends while none resolves.
func (s *Store) connect(ctx context.Context, cfg Config) (*zk.Conn, error) {
	for try := 0; ; try++ {
		conn, err := s.dial(ctx, cfg)
		if err == nil || !cfg.RetryNames {
			return conn, err
		}
		if try == 0 {
			s.log.Warn().Err(err).Msg("no ZooKeeper server name resolves: looking again every second")
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(time.Second):
		}
	}
}

// dial starts the client. The client's loop can connect and call onEvent,
// which reads s.conn, before Connect has returned here: it waits for s.mu
// until s.conn is set.
func (s *Store) dial(ctx context.Context, cfg Config) (*zk.Conn, error) {
	var names map[string]string
	if cfg.TLS != nil {
		names = serverNames(ctx, cfg.Servers)
	}
	s.mu.Lock()
	conn, _, err := zk.Connect(cfg.Servers, cfg.SessionTimeout,
		zk.WithLogger(zkLogger{log: s.log, asked: s.sessionTimeout, granted: &s.granted, failure: &s.failure, changed: func() { s.mu.Lock(); s.signalLocked(); s.mu.Unlock() }}),
		zk.WithLogInfo(true), // its "authenticated" line tells the timeout granted
		zk.WithEventCallback(s.onEvent),
		zk.WithDialer(func(network, address string, timeout time.Duration) (net.Conn, error) {
			d := &net.Dialer{Timeout: timeout}
			c, err := d.Dial(network, address)
			if err != nil {
				return nil, err
			}
			if cfg.TLS != nil {
				tc := cfg.TLS
				if name := names[address]; name != "" && tc.ServerName == "" {
					tc = tc.Clone()
					tc.ServerName = name
				}
				if c, err = handshake(c, tc, address, timeout); err != nil {
					return nil, err
				}
			}
			return heardConn{Conn: c, heard: &s.heard, since: s.opened}, nil
		}))
	s.conn = conn
	s.mu.Unlock()
	if err != nil {
		// The client fails at once only when no name resolves (one that
		// does not is passed over: third_party/go-zookeeper-zk/PATCHES.md).
		return nil, fmt.Errorf("connect to zookeeper %s: no server name resolves (the last: %w) (%w)", strings.Join(cfg.Servers, ","), err, ErrNoAddress)
	}
	return conn, nil
}

// ErrOpenTree means a cluster run with credentials found its tree (made
// before, by a client without them or another one) writable by others.
var ErrOpenTree = errors.New("tree writable by others")

// ErrReadOnlyIdentity means a client that would write was given
// credentials the cluster lets only read (its read-only identity).
var ErrReadOnlyIdentity = errors.New("read-only credentials")

// checkNotReadOnly refuses credentials the root's ACL lets read and not
// change (the cluster's read-only identity given as DROVER_ZK_AUTH to a
// command that writes): its writes would fail, and checkNotWorldWritable's
// advice, to give the tree this identity's ACL alone, would lock the
// owner out. A root not made yet is no one's.
func (s *Store) checkNotReadOnly() error {
	var user string
	for _, a := range s.acl {
		if a.Perms&zk.PermWrite != 0 && a.Scheme == "digest" {
			user, _, _ = strings.Cut(a.ID, ":")
		}
	}
	if user == "" {
		return nil // no credentials: nothing to tell, and no ACL to read
	}
	acl, _, err := s.conn.GetACL(s.layout.Root)
	if err != nil {
		if err = s.mapErr(err); errors.Is(err, ErrNoNode) {
			return nil
		}
		return fmt.Errorf("get acl %s: %w", s.layout.Root, err)
	}
	mine, writes := false, false
	for _, a := range acl {
		if name, _, _ := strings.Cut(a.ID, ":"); a.Scheme == "digest" && name == user {
			mine = true
			writes = writes || a.Perms&zk.PermWrite != 0
		}
	}
	if mine && !writes {
		return fmt.Errorf("%w: the credentials given (user %s) may only read %s; a command that writes needs the cluster's own identity in DROVER_ZK_AUTH (the read-only one goes in DROVER_ZK_AUTH_READONLY)",
			ErrReadOnlyIdentity, user, s.layout.Root)
	}
	return nil
}

// checkNotWorldWritable refuses a root, directory or epoch record that
// anyone but Drover's own identity may change: EnsurePath creates nothing
// where they exist, so a tree another client made first (ZooKeeper's "/"
// lets anyone create) would be run in with Drover's records beside whatever
// others put there, and its epoch replaceable by them. Not only
// world:anyone: ip:0.0.0.0/0 is everyone too, and whoever made the tree may
// have kept write for an identity of their own. (ZooKeeper's super user
// needs no entry.) Entries that only read are fine.
func (s *Store) checkNotWorldWritable() error {
	// Drover's own entry; ZooKeeper shows a digest's hash as "x" to a client
	// without ADMIN on the znode (a tree whose ACL keeps admin for someone
	// else), so the user's name alone must then do: an entry of that name
	// with another password grants this process nothing, and its writes
	// would fail.
	own, ownHidden := "", ""
	for _, a := range s.acl {
		if a.Perms&zk.PermWrite != 0 {
			own = a.Scheme + ":" + a.ID
			if user, _, ok := strings.Cut(a.ID, ":"); ok {
				ownHidden = a.Scheme + ":" + user + ":x"
			}
		}
	}
	paths := append([]string{s.layout.Root, s.layout.Epoch()}, s.layout.Dirs()...)
	open := make([]string, len(paths)) // the first identity other than own that may change it
	var g errgroup.Group
	for i, p := range paths {
		g.Go(func() error {
			acl, _, err := s.conn.GetACL(p)
			if err != nil {
				return fmt.Errorf("get acl %s: %w", p, s.mapErr(err))
			}
			hidden := 0 // write-capable entries of this user name, hashes hidden
			for _, a := range acl {
				id := a.Scheme + ":" + a.ID
				if a.Perms&(zk.PermWrite|zk.PermCreate|zk.PermDelete|zk.PermAdmin) == 0 || id == own {
					continue
				}
				if id == ownHidden {
					if hidden++; hidden == 1 {
						continue
					}
					// Two: at most one is this password, and the other
					// (an old password, say) may change the tree too.
					id = a.Scheme + ":" + strings.TrimSuffix(a.ID, ":x") + " with another password"
				}
				open[i] = id
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for i, p := range paths {
		if open[i] != "" {
			return fmt.Errorf("%w: %s lets %s change it; with credentials, give the tree their ACL alone first: setAcl -R %s digest:USER:<base64 sha1 of USER:PASSWORD>:cdrwa (see README, Security)",
				ErrOpenTree, p, open[i], s.layout.Root)
		}
	}
	return nil
}

// SessionTimeout is the session timeout asked of ZooKeeper: a server expires
// a session it has not heard from for that long.
func (s *Store) SessionTimeout() time.Duration { return s.sessionTimeout }

// GrantedSessionTimeout is the session timeout the server granted, which its
// bounds (2 and 20 ticks by default) may make other than the one asked.
func (s *Store) GrantedSessionTimeout() time.Duration {
	if g := s.granted.Load(); g > 0 {
		return time.Duration(g)
	}
	return s.sessionTimeout
}

// SessionDeadline is about when the server expires this store's session
// unless it hears from it again: the last time anything came from the
// server plus the granted session timeout. The client pings a third of the
// timeout apart, so on a live link it moves on at least that often, and
// what came last was most often a ping's reply, which the server sent just
// after it heard the ping. The client's own notice of a dead link comes two
// thirds of the timeout after the last reply, or later while a large write
// is stuck: this deadline does not wait for it.
func (s *Store) SessionDeadline() time.Time {
	return s.opened.Add(time.Duration(s.heard.Load()) + s.GrantedSessionTimeout())
}

// heardConn is a connection to ZooKeeper that notes when the server was last
// heard from.
type heardConn struct {
	net.Conn
	heard *atomic.Int64 // ns since since
	since time.Time
}

func (c heardConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.heard.Store(int64(time.Since(c.since)))
	}
	return n, err
}

// Layout returns the paths under this store's root.
func (s *Store) Layout() Layout { return s.layout }

// Close ends the session: ephemeral znodes go at once.
func (s *Store) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	if s.session != nil {
		s.session.end()
	}
	s.signalLocked()
	s.mu.Unlock()
	s.conn.Close()
	s.bg.Wait()
}

// onEvent tracks the session from the client's event stream. It runs on the
// client's event loop and must not block.
func (s *Store) onEvent(ev zk.Event) {
	if ev.Type != zk.EventSession {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state = ev.State
	switch ev.State {
	case zk.StateExpired:
		if s.session != nil {
			s.log.Warn().Int64("session", s.session.id).Msg("zookeeper session expired")
			s.session.end()
			s.session = nil
		}
	case zk.StateHasSession:
		id := s.conn.SessionID()
		if s.session != nil && s.session.id != id {
			// The library replaced an expired session without telling us first.
			s.log.Warn().Int64("session", s.session.id).Int64("new_session", id).Msg("zookeeper session replaced")
			s.session.end()
			s.session = nil
		}
		if s.session == nil {
			s.session = &Session{id: id, done: make(chan struct{})}
		}
	case zk.StateDisconnected:
		s.log.Debug().Msg("zookeeper disconnected")
	}
	s.signalLocked()
}

func (s *Store) signalLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// Connected reports whether the store has a live session right now, and a channel
// that closes at the next change of connection state.
func (s *Store) Connected() (bool, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.closed && s.state == zk.StateHasSession && s.session != nil, s.changed
}

// CurrentSession waits until the store is connected and returns its session.
func (s *Store) CurrentSession(ctx context.Context) (*Session, error) {
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return nil, ErrClosed
		}
		if s.state == zk.StateHasSession && s.session != nil {
			sess := s.session
			s.mu.Unlock()
			return sess, nil
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Stat is the part of a znode's metadata Drover uses.
type Stat struct {
	Version int32
	Czxid   int64
	Mzxid   int64
	// Pzxid is the zxid of the last change to the znode's list of children.
	Pzxid int64
	Ctime time.Time
	// Mtime is when the data was last written (Ctime if never).
	Mtime       time.Time
	DataLength  int32
	NumChildren int32
	// Cversion counts the changes to the list of children: creates and
	// deletes since the znode was made.
	Cversion       int32
	EphemeralOwner int64
}

func statOf(st *zk.Stat) Stat {
	if st == nil {
		return Stat{}
	}
	return Stat{Version: st.Version, Czxid: st.Czxid, Mzxid: st.Mzxid, Pzxid: st.Pzxid, Ctime: time.UnixMilli(st.Ctime),
		Mtime: time.UnixMilli(st.Mtime), DataLength: st.DataLength, NumChildren: st.NumChildren, Cversion: st.Cversion,
		EphemeralOwner: st.EphemeralOwner}
}

// mapErr turns a client error of this store's into this package's
// sentinels: a request that failed because the store was closed gets
// ErrClosed (the store will not work again), not ErrConnection (the outcome
// is unknown: re-read and retry), which would have a caller that retries
// retry for good.
func (s *Store) mapErr(err error) error {
	err = mapZKErr(err)
	if errors.Is(err, ErrConnection) && s.Closed() {
		return ErrClosed
	}
	return err
}

// Closed reports whether Close has been called: every call fails with
// ErrClosed from then on.
func (s *Store) Closed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// mapZKErr turns client errors into this package's sentinels.
func mapZKErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, zk.ErrNoNode):
		return ErrNoNode
	case errors.Is(err, zk.ErrNodeExists):
		return ErrNodeExists
	case errors.Is(err, zk.ErrBadVersion):
		return ErrBadVersion
	case errors.Is(err, zk.ErrNotEmpty):
		return ErrNotEmpty
	case errors.Is(err, zk.ErrSessionExpired):
		return ErrSessionExpired
	case errors.Is(err, zk.ErrNoAuth), errors.Is(err, zk.ErrAuthFailed):
		return ErrNoAuth
	case errors.Is(err, zk.ErrConnectionClosed), errors.Is(err, zk.ErrNoServer), errors.Is(err, zk.ErrClosing):
		return ErrConnection
	case errors.Is(err, zk.ErrShortBuffer):
		// The request did not fit the client's buffer: it was never sent.
		return ErrTooLarge
	}
	return err
}

// Get reads a znode.
func (s *Store) Get(path string) ([]byte, Stat, error) {
	data, st, err := s.conn.Get(path)
	if err != nil {
		return nil, Stat{}, fmt.Errorf("get %s: %w", path, s.mapErr(err))
	}
	return data, statOf(st), nil
}

// Read is the outcome of one read of GetMany.
type Read struct {
	Path string
	Data []byte
	Stat Stat
	Err  error
}

// getManyInflight bounds the reads GetMany keeps in flight.
const getManyInflight = 64

// GetMany reads many znodes with their requests pipelined on the connection
// (up to 64 in flight), so reading n znodes costs about one round trip per 64
// instead of n. Results are in the order of paths; each carries its own error.
func (s *Store) GetMany(paths []string) []Read {
	out := make([]Read, len(paths))
	Pipelined(len(paths), func(i int) {
		out[i].Path = paths[i]
		out[i].Data, out[i].Stat, out[i].Err = s.Get(paths[i])
	})
	return out
}

// Kids is the outcome of one listing of ChildrenMany.
type Kids struct {
	Path  string
	Names []string
	Err   error
}

// ChildrenMany lists many directories as GetMany reads znodes: pipelined, up
// to 64 in flight, results in the order of paths.
func (s *Store) ChildrenMany(paths []string) []Kids {
	out := make([]Kids, len(paths))
	Pipelined(len(paths), func(i int) {
		out[i].Path = paths[i]
		out[i].Names, out[i].Err = s.Children(paths[i])
	})
	return out
}

// Await runs f, which makes requests, and returns what it returns, or
// ctx's error when ctx ends first: requests take no context, and over a
// link gone silent they wait for the client to give the connection up
// (two thirds of the session timeout). Given up on, f ends in the
// background, told by ctx if it looks at it, and its results are dropped.
func Await[T any](ctx context.Context, f func() (T, error)) (T, error) {
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	type returned struct {
		v   T
		err error
	}
	ch := make(chan returned, 1)
	go func() {
		v, err := f()
		ch <- returned{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}

// Pipelined calls do(0) ... do(n-1) from up to 64 goroutines and returns
// when all have returned: the client pipelines the requests they make on its
// one connection.
func Pipelined(n int, do func(i int)) {
	if n == 0 {
		return
	}
	if n == 1 {
		do(0)
		return
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for g := 0; g < min(getManyInflight, n); g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				do(i)
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
}

// Exists stats a znode; ok is false when it does not exist.
func (s *Store) Exists(path string) (ok bool, st Stat, err error) {
	ok, zst, err := s.conn.Exists(path)
	if err != nil {
		return false, Stat{}, fmt.Errorf("exists %s: %w", path, s.mapErr(err))
	}
	return ok, statOf(zst), nil
}

// Children lists a znode's children.
func (s *Store) Children(path string) ([]string, error) {
	ch, _, err := s.List(path)
	return ch, err
}

// List lists a znode's children with the znode's stat. The stat's Pzxid
// orders the listing against transactions: a listing reflects a transaction
// that created or deleted a child of path exactly when Pzxid >= its zxid.
func (s *Store) List(path string) ([]string, Stat, error) {
	ch, st, err := s.conn.Children(path)
	if err != nil {
		return nil, Stat{}, fmt.Errorf("list %s: %w", path, s.mapErr(err))
	}
	return ch, statOf(st), nil
}

// ListW is List that also sets a watch firing once at the next change of the
// list (or deletion of the znode).
func (s *Store) ListW(path string) ([]string, Stat, <-chan Event, error) {
	fn, w := watchChan()
	ch, st, err := s.ListWFunc(path, fn)
	if err != nil {
		return nil, Stat{}, nil, err
	}
	return ch, st, w, nil
}

// ListWFunc is ListW calling fn once instead of sending on a channel: for a
// watcher of many znodes, which then needs no goroutine per watch. fn is
// called on the client's loop (see WatchFunc).
func (s *Store) ListWFunc(path string, fn WatchFunc) ([]string, Stat, error) {
	ch, st, err := s.conn.ChildrenWFunc(path, s.counted(fn))
	if err != nil {
		s.liveWatches.Add(-1)
		return nil, Stat{}, fmt.Errorf("list %s: %w", path, s.mapErr(err))
	}
	return ch, statOf(st), nil
}

// Event is a fired watch. Err is set when the watch ended without a change of the
// node (session expired, store closed): the watcher must re-read.
type Event struct {
	Path    string
	Deleted bool
	Err     error
}

// WatchFunc is called once when a watch set by a ...WFunc read fires or
// ends (session expired, store closed: Err set, ErrClosed once Close was
// called). The client calls it on its own loop with its watchers' lock held,
// so it must return at once: hand the event on without blocking and call
// nothing of the Store.
type WatchFunc func(Event)

// counted wraps a caller's watch callback into the client's, converting the
// event and keeping LiveWatches. The count is raised before the watch is
// set; a caller whose read fails (no watch set) lowers it again.
func (s *Store) counted(fn WatchFunc) zk.WatchFunc {
	s.liveWatches.Add(1)
	return func(ev zk.Event) {
		s.liveWatches.Add(-1)
		fn(Event{Path: ev.Path, Deleted: ev.Type == zk.EventNodeDeleted, Err: s.mapErr(ev.Err)})
	}
}

// LiveWatches is how many watches this Store set that have not fired or
// ended yet: what a watcher holds on the server and in the client, which
// grows with each watch stacked on a znode already watched.
func (s *Store) LiveWatches() int64 { return s.liveWatches.Load() }

// watchChan returns a watch callback and the channel of one slot it sends
// its one event to, without blocking. Nothing waits for the watch: a caller
// that stops listening leaves only the callback, which the client drops
// when the watch fires or ends.
func watchChan() (WatchFunc, <-chan Event) {
	out := make(chan Event, 1)
	return func(ev Event) {
		select {
		case out <- ev:
		default: // called once per watch: never full
		}
	}, out
}

// ChildrenW lists a znode's children and sets a watch that fires once at the
// next change of the list (or deletion of the znode).
func (s *Store) ChildrenW(path string) ([]string, <-chan Event, error) {
	ch, _, w, err := s.ListW(path)
	return ch, w, err
}

// GetW reads a znode and watches it for a change of data or deletion.
func (s *Store) GetW(path string) ([]byte, Stat, <-chan Event, error) {
	fn, w := watchChan()
	data, st, err := s.GetWFunc(path, fn)
	if err != nil {
		return nil, Stat{}, nil, err
	}
	return data, st, w, nil
}

// GetWFunc is GetW calling fn once instead of sending on a channel (see
// ListWFunc).
func (s *Store) GetWFunc(path string, fn WatchFunc) ([]byte, Stat, error) {
	data, st, err := s.conn.GetWFunc(path, s.counted(fn))
	if err != nil {
		s.liveWatches.Add(-1)
		return nil, Stat{}, fmt.Errorf("get %s: %w", path, s.mapErr(err))
	}
	return data, statOf(st), nil
}

// ExistsW stats a znode and watches for its creation, change or deletion.
func (s *Store) ExistsW(path string) (bool, Stat, <-chan Event, error) {
	fn, w := watchChan()
	ok, st, err := s.ExistsWFunc(path, fn)
	if err != nil {
		return false, Stat{}, nil, err
	}
	return ok, st, w, nil
}

// ExistsWFunc is ExistsW calling fn once instead of sending on a channel
// (see ListWFunc).
func (s *Store) ExistsWFunc(path string, fn WatchFunc) (bool, Stat, error) {
	ok, st, err := s.conn.ExistsWFunc(path, s.counted(fn))
	if err != nil {
		s.liveWatches.Add(-1)
		return false, Stat{}, fmt.Errorf("exists %s: %w", path, s.mapErr(err))
	}
	return ok, statOf(st), nil
}

// Create makes a persistent znode.
func (s *Store) Create(path string, data []byte) error {
	_, err := s.conn.Create(path, data, 0, s.acl)
	if err != nil {
		return s.writeErr(fmt.Errorf("create %s: %w", path, s.mapErr(err)))
	}
	return nil
}

// writeErr is err of a write, which says so when it was refused to
// credentials that may only read (the read-only identity given as the
// owner's): "not authorized" alone sent users to their password.
func (s *Store) writeErr(err error) error {
	if errors.Is(err, ErrNoAuth) {
		if rerr := s.checkNotReadOnly(); errors.Is(rerr, ErrReadOnlyIdentity) {
			return fmt.Errorf("%w (%w)", rerr, err)
		}
	}
	return err
}

// CreateEphemeral makes a znode that lives as long as this session, and returns
// the session that owns it: a caller that acts for the znode must watch that
// session, not one it looked up before (the session may be replaced between).
// When the create's outcome is unknown (connection loss) it checks whether the
// znode exists and is owned by this session.
func (s *Store) CreateEphemeral(ctx context.Context, path string, data []byte) (Stat, *Session, error) {
	for {
		sess, err := s.CurrentSession(ctx)
		if err != nil {
			return Stat{}, nil, err
		}
		_, err = s.conn.Create(path, data, zk.FlagEphemeral, s.acl)
		err = s.mapErr(err)
		if err != nil && !errors.Is(err, ErrNodeExists) && !errors.Is(err, ErrConnection) {
			return Stat{}, nil, fmt.Errorf("create %s: %w", path, err)
		}
		if cur, err := s.CurrentSession(ctx); err != nil {
			return Stat{}, nil, err
		} else if cur != sess {
			// The session changed under the create: whatever it made went with
			// the old session, or belongs to the new one only by accident of
			// timing. Start over so the caller learns the session it owns.
			continue
		}
		ok, st, serr := s.Exists(path)
		switch {
		case serr != nil:
			if errors.Is(serr, ErrConnection) {
				continue
			}
			return Stat{}, nil, serr
		case ok && st.EphemeralOwner == sess.ID():
			return st, sess, nil
		case ok:
			return st, nil, fmt.Errorf("create %s: owned by another session: %w", path, ErrNodeExists)
		}
		// Gone again (session churn): try once more.
	}
}

// CreateSequentialEphemeral creates <prefix><guid>-<seq> as an ephemeral
// sequential znode (prefix ends in '_') and returns it with the session that
// owns it. A create whose reply was lost is found again by its guid instead of
// leaving an orphan that would hold a place in line, and the owner is asked
// of the znode: a create sent across a session change belongs to the new
// session, and pairing it with the old one would leave it in line, unwatched,
// while the caller joined again behind it. An error after the znode was made
// or found comes with its name, so that the caller can delete it: this
// session would keep it in line.
func (s *Store) CreateSequentialEphemeral(ctx context.Context, dir, prefix string, data []byte) (string, *Session, error) {
	guid := newGUID()
	base := prefix + guid + "-"
	for {
		if _, err := s.CurrentSession(ctx); err != nil {
			return "", nil, err
		}
		p, err := s.conn.Create(dir+"/"+base, data, zk.FlagEphemeral|zk.FlagSequence, s.acl)
		var name string
		if err == nil {
			name = p[strings.LastIndexByte(p, '/')+1:]
		} else {
			if err = s.mapErr(err); !errors.Is(err, ErrConnection) && !errors.Is(err, ErrSessionExpired) {
				return "", nil, fmt.Errorf("create %s/%s: %w", dir, base, err)
			}
			// The reply was lost: the znode, if made, carries our guid.
			if name, err = s.childWithPrefix(ctx, dir, base); err != nil {
				if !errors.Is(err, ErrClosed) {
					// Given up (ctx, or a listing refused) not knowing
					// whether it was made.
					s.abandonPrefix(dir, base)
				}
				return "", nil, err
			}
			if name == "" {
				continue
			}
		}
		// The owner is the session current now, not the one before the
		// create: the client sends a create queued across a session change
		// on the new session. A znode of a session that has ended goes with
		// it; make another.
		sess, err := s.ownerOf(ctx, dir+"/"+name)
		if err != nil {
			return name, nil, err
		}
		if sess != nil {
			return name, sess, nil
		}
	}
}

// childWithPrefix returns the child of dir whose name starts with prefix
// ("" if none), through connection loss. It syncs before it lists: after a
// lost reply the client may be on another server, one that has not yet
// applied the create the old one forwarded (as LookupTaskIn).
func (s *Store) childWithPrefix(ctx context.Context, dir, prefix string) (string, error) {
	for {
		if _, err := s.CurrentSession(ctx); err != nil {
			return "", err
		}
		if err := s.Sync(dir); errors.Is(err, ErrConnection) {
			continue
		} else if err != nil {
			return "", err
		}
		kids, err := s.Children(dir)
		if errors.Is(err, ErrConnection) {
			continue
		}
		if err != nil {
			return "", err
		}
		for _, k := range kids {
			if strings.HasPrefix(k, prefix) {
				return k, nil
			}
		}
		return "", nil
	}
}

// ownerOf returns the current session if it owns the ephemeral znode at
// path, nil if the znode is gone or another session's.
func (s *Store) ownerOf(ctx context.Context, path string) (*Session, error) {
	for {
		cur, err := s.CurrentSession(ctx)
		if err != nil {
			return nil, err
		}
		ok, st, err := s.Exists(path)
		if errors.Is(err, ErrConnection) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if again, err := s.CurrentSession(ctx); err != nil {
			return nil, err
		} else if again != cur {
			continue // changed while we looked: look again
		}
		if ok && st.EphemeralOwner == cur.ID() {
			return cur, nil
		}
		return nil, nil
	}
}

// EnsurePath creates path and its missing parents as empty persistent znodes.
func (s *Store) EnsurePath(path string) error { return s.ensurePath(path, "") }

// EnsurePathFenced is EnsurePath for a leader: each create is a transaction
// that also checks fence, the leader's election znode, so a deposed leader
// creates nothing (ErrFenced).
func (s *Store) EnsurePathFenced(path, fence string) error { return s.ensurePath(path, fence) }

func (s *Store) ensurePath(path, fence string) error {
	if ok, _, err := s.Exists(path); err != nil || ok {
		return err
	}
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	cur := ""
	for _, p := range parts {
		cur += "/" + p
		if err := s.createFenced(cur, fence); err != nil && !errors.Is(err, ErrNodeExists) {
			return err
		}
	}
	return nil
}

// createFenced creates an empty znode at path, in a transaction that checks
// fence unless fence is "".
func (s *Store) createFenced(path, fence string) error {
	if fence == "" {
		return s.Create(path, nil)
	}
	if err := s.Txn().Fence(fence, -1).Create(path, nil).Commit(); err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	return nil
}

// Delete removes a znode at version (-1: any).
func (s *Store) Delete(path string, version int32) error {
	if err := s.conn.Delete(path, version); err != nil {
		return s.writeErr(fmt.Errorf("delete %s: %w", path, s.mapErr(err)))
	}
	return nil
}

// Set writes a znode's data at version (-1: any).
func (s *Store) Set(path string, data []byte, version int32) (Stat, error) {
	st, err := s.conn.Set(path, data, version)
	if err != nil {
		return Stat{}, s.writeErr(fmt.Errorf("set %s: %w", path, s.mapErr(err)))
	}
	return statOf(st), nil
}

// ACL returns a znode's ACL entries as "scheme:id:perms" (perms as ZooKeeper
// letters, e.g. cdrwa), for checks and diagnostics.
func (s *Store) ACL(path string) ([]string, error) {
	acl, _, err := s.conn.GetACL(path)
	if err != nil {
		return nil, fmt.Errorf("get acl %s: %w", path, s.mapErr(err))
	}
	out := make([]string, len(acl))
	for i, a := range acl {
		perms := ""
		for _, p := range []struct {
			bit int32
			c   string
		}{{zk.PermCreate, "c"}, {zk.PermDelete, "d"}, {zk.PermRead, "r"}, {zk.PermWrite, "w"}, {zk.PermAdmin, "a"}} {
			if a.Perms&p.bit != 0 {
				perms += p.c
			}
		}
		out[i] = a.Scheme + ":" + a.ID + ":" + perms
	}
	return out, nil
}

// Sync makes the next read of path on this connection see every write committed
// before it.
func (s *Store) Sync(path string) error {
	if _, err := s.conn.Sync(path); err != nil {
		return fmt.Errorf("sync %s: %w", path, s.mapErr(err))
	}
	return nil
}

// serverNames maps each address the servers' names resolve to ("ip:port",
// as the client dials them: it resolves the names itself) to the name
// given, so that TLS checks a server's certificate against the name the
// user gave, as a browser does, not against the address: most
// certificates name the host and no IP, and every one was refused.
func serverNames(ctx context.Context, servers []string) map[string]string {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	names := map[string]string{}
	for _, server := range zk.FormatServers(servers) { // a host without a port is at 2181, as the client dials it
		host, port, err := net.SplitHostPort(server)
		if err != nil {
			continue
		}
		addrs, err := net.DefaultResolver.LookupHost(ctx, host)
		if err != nil {
			continue // the client passes over a name that does not resolve
		}
		for _, a := range addrs {
			if ap := net.JoinHostPort(a, port); names[ap] == "" {
				names[ap] = host
			}
		}
	}
	return names
}

// handshake runs TLS over c, within timeout (as tls.DialWithDialer, which
// would not tell a failed handshake from a failed dial).
func handshake(c net.Conn, cfg *tls.Config, address string, timeout time.Duration) (net.Conn, error) {
	if cfg.ServerName == "" {
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			host = address
		}
		cfg = cfg.Clone()
		cfg.ServerName = host
	}
	tc := tls.Client(c, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		c.Close()
		return nil, fmt.Errorf("TLS handshake with %s: %w", address, err)
	}
	return tc, nil
}

// zkLogger takes go-zookeeper's log lines to the debug log, and the session
// timeout the server granted from its line on each new connection (the
// client has no other way to tell it).
type zkLogger struct {
	log     zerolog.Logger
	asked   time.Duration // the session timeout asked for
	granted *atomic.Int64 // ns
	failure *atomic.Pointer[string]
	changed func()
}

// ReachError is Open's error when no session came about in time. Last is
// the client's last failure to connect or to set up a session, if it had
// one: a refused dial says the server is not running, a TLS handshake
// error says how the two disagree.
type ReachError struct {
	Servers string
	Last    string
	Err     error
}

func (e *ReachError) Error() string {
	msg := "cannot reach ZooKeeper at " + e.Servers
	if e.Last != "" {
		msg += " (" + e.Last + ")"
	}
	return msg + ": " + e.Err.Error()
}

func (e *ReachError) Unwrap() error { return e.Err }

// The client's lines on a failed connection: a dial, or the session's
// handshake over it.
const (
	zkConnectFailed = "failed to connect to %s: %v"
	zkSetupFailed   = "authentication failed: %s"
)

// zkAuthenticated is go-zookeeper's line on a session established, with the
// timeout granted in milliseconds (an int32).
const zkAuthenticated = "authenticated: id=%d, timeout=%d"

func (l zkLogger) Printf(format string, args ...any) {
	if (format == zkConnectFailed || format == zkSetupFailed) && l.failure != nil {
		msg := fmt.Sprintf(format, args...)
		if format == zkSetupFailed {
			// The client's word for a session handshake that failed, not
			// for credentials (those are sent after it): what answered on
			// the port may be no ZooKeeper at all.
			msg = fmt.Sprintf("no session handshake: %s (no ZooKeeper server there, or one not serving: no quorum, too many connections)", fmt.Sprint(args...))
		}
		l.failure.Store(&msg)
	}
	if format == zkAuthenticated && len(args) == 2 {
		if ms, ok := args[1].(int32); ok && ms > 0 {
			grant := int64(time.Duration(ms) * time.Millisecond)
			if l.granted.Swap(grant) != grant {
				// The client sends whole milliseconds: 2.0005s asked is 2000
				// sent, and granted as sent.
				if g := time.Duration(grant); g != l.asked.Truncate(time.Millisecond) && l.asked > 0 {
					// Said at warn level: failures are detected after the
					// timeout granted, and the operator asked another
					// (review204).
					l.log.Warn().Str("asked", l.asked.String()).Str("granted", g.String()).
						Msg("ZooKeeper granted a session timeout other than the one asked: failures are detected after the one granted (the servers' minSessionTimeout and maxSessionTimeout bound it)")
				}
				if l.changed != nil {
					l.changed()
				}
			}
		}
	}
	l.log.Debug().Str("lib", "zk").Msgf(format, args...)
}
