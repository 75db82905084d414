package sinks

import (
	"bufio"
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/rs/zerolog"
)

// SyslogConfig configures a Syslog sink.
type SyslogConfig struct {
	Addr    string // host:port of the receiver
	Network string // "tcp" (RFC 6587 octet counting), "tls" (RFC 5425) or "udp" (RFC 5426)
	// TLS configures "tls". nil means verify the receiver's certificate
	// against the system roots for the host of Addr. A given config is
	// cloned; ServerName defaults to the host of Addr. InsecureSkipVerify is
	// honoured but logged as a warning by NewSyslog.
	TLS          *tls.Config
	WriteTimeout time.Duration // longest a write to the socket may block; default 10s
	DialTimeout  time.Duration // connection and TLS handshake; default 10s
	// MaxDatagram is the largest UDP message in bytes; default 2048 (RFC
	// 5426 guidance). Larger records are Rejected on UDP.
	MaxDatagram int
	Logger      zerolog.Logger // the zero Logger writes nothing
}

// Syslog sends RFC 5424 lines to a syslog receiver over TCP, TLS or UDP.
//
// Records given to Send are complete RFC 5424 messages without framing. On
// TCP and TLS each record is framed with RFC 6587 octet counting
// ("<len> <msg>"); a batch is written through one buffered writer and
// flushed, every write to the socket bounded by WriteTimeout. On UDP each
// record is one datagram.
//
// The sink owns its connection: it dials lazily on the first Send, checks
// before each batch that the receiver has not closed the connection in the
// meantime, and drops the connection after any error so that the next Send
// dials again.
//
// What plain TCP syslog cannot promise: RFC 6587 has no application-level
// acknowledgement. Delivered means the whole batch was written to the
// socket, i.e. handed to the kernel, not that the receiver stored it. If
// the receiver crashes or the connection breaks after the write, records
// reported Delivered can be lost without any error reaching the sender, and
// their Kafka offsets will already have been committed. TLS (RFC 5425) adds
// confidentiality and authentication of the receiver, not acknowledgement.
// Only an acknowledged protocol (RELP, or HEC/Elasticsearch) closes that gap.
// In the other direction, when a write fails the whole batch is reported
// Retry, because a buffered writer cannot tell which records the receiver
// got: duplicates are possible, silent loss from a reported failure is not.
// UDP promises even less: a datagram can be dropped anywhere without notice,
// so Delivered on UDP only means "sent".
//
// Syslog is safe for concurrent use; Sends are serialised.
type Syslog struct {
	cfg  SyslogConfig
	tls  *tls.Config // nil unless Network is "tls"
	mu   sync.Mutex
	conn net.Conn      // nil when not connected
	w    *bufio.Writer // wraps a deadlineWriter on conn (stream networks)
	dw   deadlineWriter
	done bool // Close was called
}

// NewSyslog checks cfg and returns a sink; it does not dial.
func NewSyslog(cfg SyslogConfig) (*Syslog, error) {
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("syslog address %q: %w", cfg.Addr, err)
	}
	switch cfg.Network {
	case "tcp", "tls", "udp":
	default:
		return nil, fmt.Errorf("syslog network %q: want tcp, tls or udp", cfg.Network)
	}
	// Zero or negative: the default.
	cfg.WriteTimeout = cmp.Or(max(cfg.WriteTimeout, 0), 10*time.Second)
	cfg.DialTimeout = cmp.Or(max(cfg.DialTimeout, 0), 10*time.Second)
	cfg.MaxDatagram = cmp.Or(max(cfg.MaxDatagram, 0), 2048)
	s := &Syslog{cfg: cfg}
	if cfg.Network == "tls" {
		if cfg.TLS == nil {
			s.tls = &tls.Config{MinVersion: tls.VersionTLS12}
		} else {
			s.tls = cfg.TLS.Clone()
		}
		if s.tls.ServerName == "" {
			s.tls.ServerName = host
		}
		// Without session tickets the receiver sends nothing after the
		// handshake (RFC 8446 §4.6.1), so any byte it sends later means it is
		// closing: see peerGone.
		s.tls.SessionTicketsDisabled = true
		if s.tls.InsecureSkipVerify {
			cfg.Logger.Warn().Str("addr", cfg.Addr).
				Msg("syslog TLS certificate verification is DISABLED: the receiver is not authenticated")
		}
	}
	return s, nil
}

// Send writes records to the receiver and returns one Result per record;
// ids are not used. On TCP and TLS all records of a batch share one fate:
// Delivered once the batch was flushed to the socket, Retry (with the
// error as Reason) if dialling or any write failed. On UDP each record is
// Delivered once its datagram is written; after a failed write that record
// and the rest are Retry. An empty record is
// Rejected (octet counting cannot frame it); on UDP so is a record larger
// than MaxDatagram. Send returns an error only when ctx ends (then every
// record not Rejected is Retry) or after Close.
func (s *Syslog) Send(ctx context.Context, records [][]byte, ids []string) ([]Result, error) {
	res := make([]Result, len(records))
	pending := 0
	for i, r := range records {
		switch {
		case len(r) == 0:
			res[i] = Result{Outcome: Reject, Reason: "empty syslog message"}
		case s.cfg.Network == "udp" && len(r) > s.cfg.MaxDatagram:
			res[i] = Result{Outcome: Reject, Reason: "message of " + strconv.Itoa(len(r)) +
				" bytes exceeds SYSLOG_MAX_DATAGRAM (" + strconv.Itoa(s.cfg.MaxDatagram) + ")"}
		default:
			res[i] = Result{Outcome: Retry}
			pending++
		}
	}
	if err := ctx.Err(); err != nil {
		return retryAll(res, "not sent: "+err.Error()), err
	}
	if pending == 0 {
		return res, nil
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return retryAll(res, "syslog sink closed"), errors.New("sinks: syslog sink closed")
	}
	if s.conn != nil && s.cfg.Network != "udp" && peerGone(s.conn) {
		s.cfg.Logger.Info().Str("addr", s.cfg.Addr).Msg("syslog receiver closed the connection; redialling")
		s.drop()
	}
	if s.conn == nil {
		if err := s.dial(ctx); err != nil {
			if ctx.Err() != nil {
				return retryAll(res, "not sent: "+ctx.Err().Error()), ctx.Err()
			}
			return retryAll(res, "syslog dial "+s.cfg.Addr+": "+err.Error()), nil
		}
	}

	conn := s.conn
	stop := context.AfterFunc(ctx, func() { conn.SetWriteDeadline(time.Unix(1, 0)) })
	var err error
	if s.cfg.Network == "udp" {
		err = s.writeDatagrams(ctx, records, res)
	} else {
		err = s.writeStream(ctx, records, res)
	}
	stop()
	if err == nil {
		return res, nil
	}
	s.drop()
	if ctx.Err() != nil {
		return retryAll(res, "not sent: "+ctx.Err().Error()), ctx.Err()
	}
	return retryAll(res, "syslog write to "+s.cfg.Addr+": "+err.Error()), nil
}

// writeStream frames every pending record with octet counting and flushes
// the batch. On success it marks them Delivered; on error it leaves them
// Retry, since the buffered writer cannot tell how much reached the peer.
func (s *Syslog) writeStream(ctx context.Context, records [][]byte, res []Result) error {
	s.dw.ctx = ctx
	var num [20]byte
	for i, r := range records {
		if res[i].Outcome != Retry {
			continue
		}
		s.w.Write(strconv.AppendInt(num[:0], int64(len(r)), 10))
		s.w.WriteByte(' ')
		s.w.Write(r) // a write error sticks in s.w and is returned by Flush
	}
	if err := s.w.Flush(); err != nil {
		return err
	}
	for i := range res {
		if res[i].Outcome == Retry {
			res[i] = Result{Outcome: Delivered}
		}
	}
	return nil
}

// writeDatagrams sends one datagram per pending record, marking each
// Delivered as it goes; on error the failed record and the rest stay Retry.
func (s *Syslog) writeDatagrams(ctx context.Context, records [][]byte, res []Result) error {
	for i, r := range records {
		if res[i].Outcome != Retry {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		s.conn.SetWriteDeadline(time.Now().Add(s.cfg.WriteTimeout))
		if _, err := s.conn.Write(r); err != nil {
			return err
		}
		res[i] = Result{Outcome: Delivered}
	}
	return nil
}

// dial connects to the receiver. Its caller holds s.mu.
func (s *Syslog) dial(ctx context.Context) error {
	nd := &net.Dialer{Timeout: s.cfg.DialTimeout}
	var (
		c   net.Conn
		err error
	)
	switch s.cfg.Network {
	case "tls":
		c, err = (&tls.Dialer{NetDialer: nd, Config: s.tls}).DialContext(ctx, "tcp", s.cfg.Addr)
	default:
		c, err = nd.DialContext(ctx, s.cfg.Network, s.cfg.Addr)
	}
	if err != nil {
		return err
	}
	s.conn = c
	if s.cfg.Network != "udp" {
		s.dw = deadlineWriter{conn: c, timeout: s.cfg.WriteTimeout}
		s.w = bufio.NewWriterSize(&s.dw, 64<<10)
	}
	s.cfg.Logger.Debug().Str("addr", s.cfg.Addr).Str("network", s.cfg.Network).Msg("syslog connected")
	return nil
}

// drop closes the connection, if any. Its caller holds s.mu.
func (s *Syslog) drop() {
	if s.conn != nil {
		s.conn.Close()
	}
	s.conn, s.w, s.dw = nil, nil, deadlineWriter{}
}

// Close closes the connection. Nothing is buffered between Sends, so there
// is nothing to flush. Send after Close returns an error.
func (s *Syslog) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.done = true
	s.drop()
	return nil
}

// retryAll gives every record still pending (Retry) the reason; records
// already Delivered or Rejected keep their Result.
func retryAll(res []Result, reason string) []Result {
	for i := range res {
		if res[i].Outcome == Retry {
			res[i] = Result{Outcome: Retry, Reason: reason}
		}
	}
	return res
}

// deadlineWriter bounds each write to the socket by timeout and refuses to
// write once ctx has ended (Send's AfterFunc interrupts a write under way).
type deadlineWriter struct {
	conn    net.Conn
	timeout time.Duration
	ctx     context.Context
}

func (d *deadlineWriter) Write(p []byte) (int, error) {
	if err := d.ctx.Err(); err != nil {
		return 0, err
	}
	d.conn.SetWriteDeadline(time.Now().Add(d.timeout))
	return d.conn.Write(p)
}

// peerGone reports whether the receiver closed (or reset) the connection
// since the last Send, with a non-blocking peek at the socket, as rsyslog's
// own TCP forwarder does. A syslog receiver never sends anything, so pending
// bytes (a TLS close_notify) count as gone too. Without this check the first
// batch after a close would be written into a dead socket and reported
// Delivered. It cannot see a close that happens during or after the write:
// see the type's comment.
func peerGone(c net.Conn) bool {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	sc, ok := c.(syscall.Conn)
	if !ok {
		return false
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return true
	}
	gone := false
	var buf [1]byte
	err = raw.Read(func(fd uintptr) bool {
		n, _, rerr := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		gone = n > 0 || (n == 0 && rerr == nil) || (rerr != nil && rerr != syscall.EAGAIN && rerr != syscall.EWOULDBLOCK)
		return true // never wait for readability
	})
	return gone || err != nil
}
