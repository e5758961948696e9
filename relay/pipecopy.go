package relay

import (
	"io"
)

// Chunks in flight between the reading and the writing side of a relayed
// body: 4 × 64 KB, so memory stays flat whatever the message size.
const (
	pipeChunk = 64 << 10
	pipeDepth = 4
)

// pipeCopy copies src to dst like io.Copy, but reads and writes on two
// goroutines. Both sides cost CPU per byte (go-smtp's DATA reader undoes
// the client's dot-stuffing byte by byte; the upstream writer, checks'
// BodyWriter, redoes it a line at a time and encrypts), so overlapping
// them lets a large message stream at the speed of the slower side instead
// of the sum of both. With the line-at-a-time writer the gain is small:
// 1.05× direct submission for 10 MB against 1.09× with a plain copy loop
// (medians of three runs on the shared 2-vCPU VM, so within the noise).
//
// It returns when src is exhausted or failed and every chunk read has been
// handed to dst (or dst failed): nothing touches src after it returns, as
// go-smtp requires of Session.Data. After a write error it keeps reading
// src to its end (the client is still sending) but writes no more.
func pipeCopy(dst io.Writer, src io.Reader) (n int64, readErr, writeErr error) {
	free := make(chan []byte, pipeDepth)
	full := make(chan []byte, pipeDepth)
	for i := 0; i < pipeDepth; i++ {
		free <- make([]byte, pipeChunk)
	}
	go func() {
		defer close(full)
		for {
			b := <-free
			k, err := io.ReadFull(src, b)
			n += int64(k)
			if k > 0 {
				full <- b[:k]
			}
			if err != nil {
				if err != io.EOF && err != io.ErrUnexpectedEOF {
					readErr = err
				}
				return
			}
		}
	}()
	for b := range full {
		if writeErr == nil {
			if _, err := dst.Write(b); err != nil {
				writeErr = err
			}
		}
		free <- b[:cap(b)]
	}
	return n, readErr, writeErr
}
