package sinks

import (
	"bytes"
	"fmt"

	"github.com/klauspost/compress/gzip"
)

// Request bodies are compressed with github.com/klauspost/compress/gzip
// rather than compress/gzip: the same format, and at the fastest level it
// compresses audit JSON several times faster than the standard library
// (whose level 1 was most of HEC's CPU per event), with the same ratio.

// CheckGzipLevel accepts the levels a sink may be configured with (forward
// checks SPLUNK_HEC_GZIP_LEVEL by it too): 1 to 9,
// or -2 (Huffman coding only). 0 (no compression, yet the gzip header) and
// the library's other special levels are refused: they are never what one
// wants on the wire.
func CheckGzipLevel(level int) error {
	if level == gzip.HuffmanOnly || level >= gzip.BestSpeed && level <= gzip.BestCompression {
		return nil
	}
	return fmt.Errorf("gzip level %d: want 1 to 9, or -2 (Huffman only)", level)
}

// gzipPool holds a sink's gzip writers between sends: each one carries
// hundreds of kilobytes of compressor state, and a sync.Pool was emptied by
// every other garbage collection (as for freeBufs). It is safe for
// concurrent use; it keeps up to 16 writers (FORWARD_SENDERS may be up to
// 64: a sender finding none free makes one, dropped after if 16 are kept).
type gzipPool struct {
	level int
	free  chan *gzip.Writer
}

func newGzipPool(level int) *gzipPool {
	return &gzipPool{level: level, free: make(chan *gzip.Writer, 16)}
}

// compressLines writes the gzip stream of lines, each followed by a
// newline, to dst.
func (p *gzipPool) compressLines(dst *bytes.Buffer, lines [][]byte) error {
	var w *gzip.Writer
	select {
	case w = <-p.free:
		w.Reset(dst)
	default:
		var err error
		if w, err = gzip.NewWriterLevel(dst, p.level); err != nil {
			return err
		}
	}
	defer func() {
		select {
		case p.free <- w:
		default:
		}
	}()
	nl := []byte{'\n'}
	for _, l := range lines {
		if _, err := w.Write(l); err != nil {
			return err
		}
		if _, err := w.Write(nl); err != nil {
			return err
		}
	}
	return w.Close()
}
