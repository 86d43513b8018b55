//go:build race

package scheduler

func init() { raceBuild = true }
