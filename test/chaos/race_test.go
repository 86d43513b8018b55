//go:build race

package chaos

// Under -race the processes of the cluster are built with it too, so that
// a data race in a scheduler or a worker under faults fails the run
// (checkNoRace), not only one in the test's own code.
func init() { raceBuild = true }
