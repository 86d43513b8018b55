package store

import "time"

// SetClock replaces the store's clock (for tests of time-dependent behaviour).
func SetClock(s *Store, now func() time.Time) { s.now = now }

// BucketFresh is bucketFresh for tests.
const BucketFresh = bucketFresh

// SetMaxScheduleListing lowers maxScheduleListing until the returned func
// is called.
func SetMaxScheduleListing(n int) (restore func()) {
	old := maxScheduleListing
	maxScheduleListing = n
	return func() { maxScheduleListing = old }
}

// SetMaxDeadletters lowers maxDeadletters until the returned func is called.
func SetMaxDeadletters(n int) (restore func()) {
	old := maxDeadletters
	maxDeadletters = n
	return func() { maxDeadletters = old }
}

// SetMaxCordons lowers maxCordons until the returned func is called.
func SetMaxCordons(n int) (restore func()) {
	old := maxCordons
	maxCordons = n
	return func() { maxCordons = old }
}

// SetKeysRead makes every submit of s that found keys to take over call f
// after reading them and before writing.
func SetKeysRead(s *Store, f func()) { s.keysRead = f }

// SetLookupHook sets a func LookupTaskIn calls just before ("listing") and
// after ("listed") it lists the assignments, until restore is called.
func SetLookupHook(hook func(stage string)) (restore func()) {
	testHookLookup = hook
	return func() { testHookLookup = nil }
}

// SetCheckKnownHook sets a func WaitResults calls just before ("listing")
// and after ("listed") it lists the assignments to find unseen tasks, until
// restore is called.
func SetCheckKnownHook(hook func(stage string)) (restore func()) {
	testHookCheckKnown = hook
	return func() { testHookCheckKnown = nil }
}

// SetKeyRecordsRead makes every submit of s that reads its tasks' keys call
// f right after reading the key records.
func SetKeyRecordsRead(s *Store, f func()) { s.keyRecordsRead = f }

// SetWaitRecheck sets how long a wait goes without results before it looks
// for its tasks again (waitRecheck), and a func it calls after each such
// look that found them all still there, until restore is called.
func SetWaitRecheck(every time.Duration, hook func()) (restore func()) {
	old := waitRecheck
	waitRecheck, testHookRecheck = every, hook
	return func() { waitRecheck, testHookRecheck = old, nil }
}

// SetResultSeenHook makes WaitResultIn call hook when its exists found the
// result, before it reads it, until restore is called.
func SetResultSeenHook(hook func()) (restore func()) {
	testHookResultSeen = hook
	return func() { testHookResultSeen = nil }
}

// SetWaitBuckets sets how many result buckets a wait lists at once until
// restore is called.
func SetWaitBuckets(n int) (restore func()) {
	old := waitBuckets
	waitBuckets = n
	return func() { waitBuckets = old }
}

// WaitWatches is how many bucket watches the WaitResults calls of s wait
// on now.
func WaitWatches(s *Store) int64 { return s.waitWatches.Load() }

// HiddenTaskErr is hiddenTaskErr for tests.
var HiddenTaskErr = hiddenTaskErr
