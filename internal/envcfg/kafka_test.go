package envcfg_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"
	"github.com/sethvargo/go-envconfig"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/pigment-siem/pipeline/internal/envcfg"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

func TestKafkaValidate(t *testing.T) {
	t.Parallel()
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("from-a-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		k    envcfg.Kafka
		want string // "" for valid; else a variable the error must name
	}{
		{"no SASL", envcfg.Kafka{}, ""},
		{"SCRAM", envcfg.Kafka{SASLMechanism: "scram-sha-512", SASLUsername: "u", SASLPassword: "p"}, ""},
		{"password file", envcfg.Kafka{SASLMechanism: "PLAIN", SASLUsername: "u", SASLPasswordFile: pwFile}, ""},
		{"mechanism without password", envcfg.Kafka{SASLMechanism: "PLAIN", SASLUsername: "u"}, "KAFKA_SASL_PASSWORD"},
		{"credentials without mechanism", envcfg.Kafka{SASLUsername: "u", SASLPassword: "p"}, "KAFKA_SASL_MECHANISM"},
		{"unknown mechanism", envcfg.Kafka{SASLMechanism: "GSSAPI", SASLUsername: "u", SASLPassword: "p"}, "KAFKA_SASL_MECHANISM"},
		{"password and file", envcfg.Kafka{SASLMechanism: "PLAIN", SASLUsername: "u", SASLPassword: "p", SASLPasswordFile: pwFile}, "KAFKA_SASL_PASSWORD_FILE"},
		{"CA file without TLS", envcfg.Kafka{CAFile: "/ca.pem"}, "KAFKA_TLS"},
		{"embedded among brokers", envcfg.Kafka{Brokers: []string{"embedded", "k1:9092"}}, "KAFKA_BROKERS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := tc.k
			err := k.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Validate = %v, want nil", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("Validate = %v, want an error naming %s", err, tc.want)
			case err != nil && strings.Contains(err.Error(), "from-a-file"):
				t.Fatalf("Validate = %v: the password is echoed", err)
			}
			if tc.name == "password file" && k.SASLPassword != "from-a-file" {
				t.Fatalf("password from the file = %q, want it trimmed", k.SASLPassword)
			}
		})
	}
}

// TestKafkaBrokers: KAFKA_BROKERS unset is an error naming it (never an
// in-memory broker by default); "embedded" is the in-memory broker at
// KAFKA_EMBEDDED_ADDR; anything else is the list of brokers.
func TestKafkaBrokers(t *testing.T) {
	t.Parallel()
	const addr = "127.0.0.1:19092"
	for _, tc := range []struct {
		name         string
		env          map[string]string
		wantErr      string // a variable the error of RequireBrokers names; "" for none
		wantEmbedded bool
		wantAddrs    string
	}{
		{"unset", map[string]string{}, "KAFKA_BROKERS", false, ""},
		{"empty", map[string]string{"KAFKA_BROKERS": ""}, "KAFKA_BROKERS", false, ""},
		{"embedded", map[string]string{"KAFKA_BROKERS": "embedded"}, "", true, addr},
		{"embedded, other address", map[string]string{"KAFKA_BROKERS": "Embedded", "KAFKA_EMBEDDED_ADDR": "127.0.0.1:29092"}, "", true, "127.0.0.1:29092"},
		{"brokers", map[string]string{"KAFKA_BROKERS": "k1:9092,k2:9092"}, "", false, "k1:9092,k2:9092"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var k envcfg.Kafka
			if err := envcfg.Process(t.Context(), &k, envconfig.MapLookuper(tc.env)); err != nil {
				t.Fatal(err)
			}
			if err := k.RequireBrokers(); (err != nil) != (tc.wantErr != "") || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("RequireBrokers() = %v, want an error naming %q (none if empty)", err, tc.wantErr)
			}
			if got := k.Embedded(); got != tc.wantEmbedded {
				t.Errorf("Embedded() = %v, want %v", got, tc.wantEmbedded)
			}
			if got := strings.Join(k.Addrs(), ","); got != tc.wantAddrs {
				t.Errorf("Addrs() = %q, want %q", got, tc.wantAddrs)
			}
		})
	}
}

// Writers (Transport) and group readers (Dialer) authenticate with each
// mechanism against a broker that requires SASL; a wrong password is
// refused, with an error that does not echo it. (Kafka answers a wrong
// password with SASL_AUTHENTICATION_FAILED; kfake closes the connection,
// so the test checks the refusal, not its code.)
func TestKafkaSASLAgainstABrokerThatRequiresIt(t *testing.T) {
	t.Parallel()
	for _, mech := range []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"} {
		t.Run(mech, func(t *testing.T) {
			t.Parallel()
			const user, pass = "pipeline", "s3cret-0f9e8d"
			_, addr := testkit.MustKafka(t, kfake.EnableSASL(), kfake.Superuser(mech, user, pass))
			k := envcfg.Kafka{SASLMechanism: strings.ToLower(mech), SASLUsername: user, SASLPassword: pass}
			if err := k.Validate(); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			topic := testkit.Name("sasl")
			tr, err := k.Transport("test", zerolog.Nop())
			if err != nil {
				t.Fatal(err)
			}
			w := &kafka.Writer{Addr: kafka.TCP(addr), Topic: topic, Transport: tr, AllowAutoTopicCreation: true, RequiredAcks: kafka.RequireAll}
			defer w.Close()
			if err := w.WriteMessages(ctx, kafka.Message{Value: []byte("hello")}); err != nil {
				t.Fatalf("write with %s: %v", mech, err)
			}
			dialer, err := k.Dialer("test", zerolog.Nop())
			if err != nil {
				t.Fatal(err)
			}
			if m := testkit.FirstRecord(t, addr, topic, dialer); string(m.Value) != "hello" {
				t.Fatalf("group read with %s = %q; want hello", mech, m.Value)
			}

			wrong := k
			wrong.SASLPassword = "not-the-password-7a6b"
			tr, err = wrong.Transport("test", zerolog.Nop())
			if err != nil {
				t.Fatal(err)
			}
			c := &kafka.Client{Addr: kafka.TCP(addr), Transport: tr, Timeout: 10 * time.Second}
			_, err = c.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
			if err == nil {
				t.Fatal("metadata with a wrong password succeeded")
			}
			if strings.Contains(err.Error(), wrong.SASLPassword) {
				t.Fatalf("the error %q echoes the password", err)
			}
		})
	}
}
