module github.com/drover-sched/drover

go 1.26.8

require (
	github.com/go-zookeeper/zk v1.0.4
	github.com/mattn/go-isatty v0.0.22
	github.com/oklog/ulid/v2 v2.1.2
	github.com/prometheus/client_golang v1.25.0
	github.com/prometheus/procfs v0.22.0
	github.com/robfig/cron/v3 v3.0.1
	github.com/rs/zerolog v1.35.1
	github.com/schollz/progressbar/v3 v3.19.1
	github.com/spf13/cobra v1.10.2
	github.com/spf13/pflag v1.0.9
	go.yaml.in/yaml/v3 v3.0.6
	golang.org/x/sync v0.22.0
	golang.org/x/sys v0.48.0
)

require (
	github.com/beorn7/perks v1.0.1 // indirect
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	github.com/mattn/go-colorable v0.1.14 // indirect
	github.com/mitchellh/colorstring v0.0.0-20190213212951-d06e56a500db // indirect
	github.com/munnerz/goautoneg v0.0.0-20191010083416-a7dc8b61c822 // indirect
	github.com/prometheus/client_model v0.6.3 // indirect
	github.com/prometheus/common v0.72.0 // indirect
	github.com/rivo/uniseg v0.4.7 // indirect
	golang.org/x/term v0.44.0 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)

// go-zookeeper v1.0.4 with two fixes to its reconnect and one addition:
// Conn.lastZxid is read and written atomically (the reconnect's SetWatches
// raced the receive loop; upstream pull request 35, open since 2020),
// SetWatches sends the zxid the watches were set at, not one moved on by
// replies that came after (a watch then missed a change), and a watch can
// call a function instead of filling a channel, so the store needs no
// goroutine per watch. See third_party/go-zookeeper-zk/PATCHES.md.
replace github.com/go-zookeeper/zk v1.0.4 => ./third_party/go-zookeeper-zk
