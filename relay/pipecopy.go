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
// It returns when src reported io.EOF or failed and every chunk read has been
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
			k, err := fillChunk(src, b)
			n += int64(k)
			if k > 0 {
				full <- b[:k]
			}
			if err != nil {
				// Only io.EOF is the end of the message. go-smtp's DATA
				// reader returns io.ErrUnexpectedEOF when the client hangs
				// up before the final ".": that is half a message, and
				// it must fail the copy so nothing gets committed.
				if err != io.EOF {
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

// fillChunk reads from src until b is full or src returns an error, which
// it returns unchanged. Unlike io.ReadFull it does not turn an early io.EOF
// into io.ErrUnexpectedEOF, nor hide an io.ErrUnexpectedEOF from src as
// "short but fine": the two mean opposite things here.
func fillChunk(src io.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		k, err := src.Read(b[n:])
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
