package consumer

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// The decompression of record batches, into a buffer reused from batch to
// batch, with the libraries kafka-go's own codecs use.

const (
	codecGzip   = 1
	codecSnappy = 2
	codecLZ4    = 3
	codecZstd   = 4
)

// codecs holds the decompressors of one reader.
type codecs struct {
	src bytes.Reader
	gz  *gzip.Reader
}

// zstdDecoder is shared: DecodeAll may be called concurrently. A frame
// may declare its size: a batch claiming more than maxDecompressed is an
// error, not an allocation of that size.
var zstdDecoder = sync.OnceValues(func() (*zstd.Decoder, error) {
	return zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(maxDecompressed))
})

// maxDecompressed bounds a batch's records once decompressed: a batch
// claiming more (a gzip or zstd bomb, a snappy length) is an error.
const maxDecompressed = 256 << 20

var errTooLarge = fmt.Errorf("decompressed batch larger than %d bytes", maxDecompressed)

// decompress appends the decompressed src to dst.
func (c *codecs) decompress(codec int, src, dst []byte) ([]byte, error) {
	switch codec {
	case codecGzip:
		return c.gunzip(src, dst)
	case codecSnappy:
		return unsnappy(src, dst)
	case codecLZ4:
		return unlz4(src, dst)
	case codecZstd:
		dec, err := zstdDecoder()
		if err != nil {
			return dst, err
		}
		return dec.DecodeAll(src, dst)
	}
	return dst, fmt.Errorf("unknown compression codec %d", codec)
}

func (c *codecs) gunzip(src, dst []byte) ([]byte, error) {
	c.src.Reset(src)
	if c.gz == nil {
		gz, err := gzip.NewReader(&c.src)
		if err != nil {
			return dst, err
		}
		c.gz = gz
	} else if err := c.gz.Reset(&c.src); err != nil {
		return dst, err
	}
	return readAll(c.gz, dst)
}

// readAll is io.ReadAll appending to dst.
func readAll(r io.Reader, dst []byte) ([]byte, error) {
	for {
		if len(dst) == cap(dst) {
			dst = append(dst, 0)[:len(dst)]
		}
		n, err := r.Read(dst[len(dst):cap(dst)])
		dst = dst[:len(dst)+n]
		if len(dst) > maxDecompressed {
			return dst, errTooLarge
		}
		if errors.Is(err, io.EOF) {
			return dst, nil
		}
		if err != nil {
			return dst, err
		}
	}
}

// xerialHeader starts snappy data in the framing of the Java client's
// snappy-java (magic, version, compatible version), which kafka-go writes
// too; chunks follow, each a big-endian length and a snappy block. Data
// without it is one snappy block.
var xerialHeader = []byte{130, 'S', 'N', 'A', 'P', 'P', 'Y', 0}

func unsnappy(src, dst []byte) ([]byte, error) {
	if len(src) < 16 || !bytes.Equal(src[:8], xerialHeader) {
		return unsnappyBlock(src, dst)
	}
	var err error
	for src = src[16:]; len(src) > 0; {
		if len(src) < 4 {
			return dst, errors.New("snappy: truncated xerial chunk length")
		}
		n := binary.BigEndian.Uint32(src)
		if uint64(n) > uint64(len(src)-4) {
			return dst, errors.New("snappy: truncated xerial chunk")
		}
		if dst, err = unsnappyBlock(src[4:4+n], dst); err != nil {
			return dst, err
		}
		src = src[4+n:]
	}
	return dst, nil
}

func unsnappyBlock(src, dst []byte) ([]byte, error) {
	n, err := snappy.DecodedLen(src)
	if err != nil {
		return dst, err
	}
	if n > maxDecompressed-len(dst) {
		return dst, errTooLarge
	}
	dst = grow(dst, n)
	out, err := snappy.Decode(dst[len(dst):len(dst)+n], src)
	if err != nil {
		return dst, err
	}
	return dst[:len(dst)+len(out)], nil
}

// grow makes room for n more bytes after len(b).
func grow(b []byte, n int) []byte {
	if cap(b)-len(b) < n {
		b = append(b[:cap(b)], make([]byte, len(b)+n-cap(b))...)[:len(b)]
	}
	return b
}

// errLZ4Frame is a variable, not made in unlz4: that was an allocation
// for every batch.
var errLZ4Frame = errors.New("lz4: malformed frame")

// unlz4 decodes LZ4 frames (the format kafka-go and the Java client
// write), block by block straight into dst. Checksums are not verified:
// the batch's CRC covers the compressed bytes.
func unlz4(src, dst []byte) ([]byte, error) {
	const (
		magic       = 0x184D2204
		flagIndep   = 0x20
		flagBlockCk = 0x10
		flagSize    = 0x08
		flagContCk  = 0x04
		flagDictID  = 0x01
	)
	for len(src) > 0 {
		if len(src) < 7 || binary.LittleEndian.Uint32(src) != magic {
			return dst, errLZ4Frame
		}
		flg, bd := src[4], src[5]
		if flg>>6 != 1 {
			return dst, errLZ4Frame
		}
		var blockMax int
		switch (bd >> 4) & 7 {
		case 4:
			blockMax = 64 << 10
		case 5:
			blockMax = 256 << 10
		case 6:
			blockMax = 1 << 20
		case 7:
			blockMax = 4 << 20
		default:
			return dst, errLZ4Frame
		}
		skip := 6 + 1 // FLG, BD, then the header checksum
		if flg&flagSize != 0 {
			skip += 8
		}
		if flg&flagDictID != 0 {
			skip += 4
		}
		if len(src) < skip {
			return dst, errLZ4Frame
		}
		src = src[skip:]
		frameStart := len(dst)
		for {
			if len(src) < 4 {
				return dst, errLZ4Frame
			}
			n := binary.LittleEndian.Uint32(src)
			src = src[4:]
			if n == 0 {
				break
			}
			raw := n&0x80000000 != 0
			n &^= 0x80000000
			if int(n) > len(src) || int(n) > blockMax {
				return dst, errLZ4Frame
			}
			block := src[:n]
			src = src[n:]
			if flg&flagBlockCk != 0 {
				if len(src) < 4 {
					return dst, errLZ4Frame
				}
				src = src[4:]
			}
			if len(dst)+blockMax > maxDecompressed {
				return dst, errTooLarge
			}
			if raw {
				dst = append(dst, block...)
				continue
			}
			dst = grow(dst, blockMax)
			out := dst[len(dst) : len(dst)+blockMax]
			var m int
			var err error
			if flg&flagIndep != 0 {
				m, err = lz4.UncompressBlock(block, out)
			} else {
				m, err = lz4.UncompressBlockWithDict(block, out, dst[max(frameStart, len(dst)-64<<10):])
			}
			if err != nil {
				return dst, fmt.Errorf("lz4: %w", err)
			}
			dst = dst[:len(dst)+m]
		}
		if flg&flagContCk != 0 {
			if len(src) < 4 {
				return dst, errLZ4Frame
			}
			src = src[4:]
		}
	}
	return dst, nil
}
