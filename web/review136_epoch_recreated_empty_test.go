package web

import "testing"

// TestReview136EpochRecordDeletedThenReopenedIsNotEpochZero: be4cf8d makes
// the epoch record deleted by hand mid-term "leave the leader known and
// its epoch unknown (EpochError)". But the record does not stay missing:
// store.Open (without MustExist: drover submit, a worker or scheduler
// starting, the dashboard's process restarting) makes <root>/epoch again,
// empty, with EnsurePath; and an empty record reads as "no leader was ever
// elected", epoch 0, no error. So from the first such open until the next
// term, /api/v1/cluster and drover leader say the running leader's epoch
// is 0, with no epoch_error and no warning, where its placements carry
// epoch N: a wrong epoch, not an unknown one. With a leader in line, an
// empty record should be taken as unknown (or EnsurePath not make it).
func TestReview136EpochRecordDeletedThenReopenedIsNotEpochZero(t *testing.T) {
	_, leader, code, body := leaderWithoutEpochRecord(t, true)
	l, err := clusterLeader(body)
	if err != nil || code != 200 || l == nil || l.ID != "s-lead" {
		t.Fatalf("/api/v1/cluster: %d %s (%v)", code, body, err)
	}
	if l.EpochError == "" && l.Epoch != leader.Epoch() {
		t.Fatalf("/api/v1/cluster with the epoch record deleted mid-term, then made again (empty) by a store's open: leader s-lead at epoch %d, epoch_error %q, where the leader's term is epoch %d: want its epoch, or it unknown (epoch_error), as with the record missing",
			l.Epoch, l.EpochError, leader.Epoch())
	}
}
