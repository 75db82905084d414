package publish

import (
	"testing"

	"github.com/segmentio/kafka-go"
)

func TestPermanentErrors(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{kafka.TopicAuthorizationFailed, true},
		{kafka.MessageSizeTooLarge, true},
		{kafka.WriteErrors{nil, kafka.SASLAuthenticationFailed}, true},
		{kafka.NotEnoughReplicas, false},
		{kafka.WriteErrors{kafka.LeaderNotAvailable, nil}, false},
	}
	for _, tt := range tests {
		if got := permanent(tt.err); got != tt.want {
			t.Errorf("permanent(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}
