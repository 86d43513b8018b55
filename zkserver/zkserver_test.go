package zkserver

import (
	"context"
	"os"
	"testing"
	"time"
)

func TestStartKillRestartStop(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := Start(ctx, Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	if ans, err := FourLetter(s.Addr(), "ruok"); err != nil || ans != "imok" {
		t.Fatalf("ruok: %q %v", ans, err)
	}
	if err := s.Kill(); err != nil {
		t.Fatal(err)
	}
	if _, err := FourLetter(s.Addr(), "ruok"); err == nil {
		t.Fatal("server answers after Kill")
	}
	if err := s.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if ans, err := FourLetter(s.Addr(), "ruok"); err != nil || ans != "imok" {
		t.Fatalf("ruok after restart: %q %v", ans, err)
	}
	dir := s.DataDir()
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("temporary data dir %s left behind: %v", dir, err)
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
}
