package client

import (
	"context"
	"testing"
)

// 7d549a0 made listings skip what ZooKeeper's ACLs keep from the reader
// (drover ls, and an assignment's record in drover workers), but not the
// rest of what drover workers reads: a worker started with DROVER_ZK_AUTH
// and without DROVER_ZK_AUTH_READONLY (the mistake review158 found for a
// submitter) registers, and makes its assignments' directory, with no
// entry for the viewer, and the read-only identity's drover workers (and
// the dashboard's worker list) then fails whole, 'not authorized', over
// that one worker: every other worker goes unlisted with it. Expected:
// the other workers listed and the unreadable one skipped (counted), as
// drover ls does.
func TestReview160ViewerListsWorkersPastOneWithoutReadOnlyIdentity(t *testing.T) {
	v := newViewerCluster(t)
	v.worker("seen", nil, v.owner())
	v.worker("unseen", nil, v.blind())
	ws, skipped, err := v.viewer().ListWorkers(context.Background())
	if err != nil {
		t.Fatalf("the read-only identity's drover workers failed whole over one worker started without DROVER_ZK_AUTH_READONLY (%d listed, %d skipped): %v", len(ws), skipped, err)
	}
	if len(ws) != 1 || ws[0].ID != "seen" || skipped != 1 {
		t.Fatalf("viewer listed %d workers, skipped %d; want the one registered with its identity listed and the other skipped", len(ws), skipped)
	}
}
