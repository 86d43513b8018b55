package store

import "time"

// SetClock replaces the store's clock (for tests of time-dependent behaviour).
func SetClock(s *Store, now func() time.Time) { s.now = now }

// BucketFresh is bucketFresh for tests.
const BucketFresh = bucketFresh
