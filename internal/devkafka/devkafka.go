// Package devkafka runs an in-process Kafka broker for trying the product
// out when no cluster is configured. It speaks the real wire protocol over
// TCP, so other processes (forward, detect, kcat) can connect to it, but it
// keeps everything in memory: it is for demos and tests, never production.
package devkafka

import (
	"fmt"
	"net"
	"strconv"

	"github.com/twmb/franz-go/pkg/kfake"
)

// Start runs a single-broker cluster listening on addr (host:port) with
// topics created on first use, three partitions each.
func Start(addr string) (*kfake.Cluster, error) {
	_, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("KAFKA_EMBEDDED_ADDR %q: %w", addr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("KAFKA_EMBEDDED_ADDR %q: bad port: %w", addr, err)
	}
	c, err := kfake.NewCluster(
		kfake.NumBrokers(1),
		kfake.Ports(port),
		kfake.AllowAutoTopicCreation(),
		kfake.DefaultNumPartitions(3),
	)
	if err != nil {
		return nil, fmt.Errorf("start in-process kafka on %s: %w", addr, err)
	}
	return c, nil
}
