package checks

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"runtime"
)

// bdatSpool holds a message for "BDAT <n> LAST": the size must be known
// before the first octet is sent, and the relay streams messages of up to
// 50 MB and more. Up to bdatMemory the encoded content stays in memory;
// beyond that it goes to a temporary file, encrypted with a key that only
// this process ever holds (AES-CTR, fresh per message), so no readable
// copy of the mail is left on disk even if the file survives a crash. On
// Unix the file is unlinked as soon as it is created.
type bdatSpool struct {
	enc  bodyEncoder
	mem  []byte
	file *os.File
	key  []byte
	iv   []byte
	ctr  cipher.Stream // encrypts what is written to file
	size int64         // encoded octets so far
	buf  []byte        // scratch for encoding
}

// bdatMemory is how much encoded content is held in memory before the
// spool moves to a file. It is per session: the relay's default session cap
// times this must stay well inside the relay's 64 MB memory promise.
const bdatMemory = 1 << 20

func newBDATSpool() *bdatSpool { return &bdatSpool{enc: bodyEncoder{noDots: true}} }

func (s *bdatSpool) write(p []byte) error {
	for len(p) > 0 {
		k := min(len(p), bodyStep)
		s.buf = s.enc.encode(s.buf[:0], p[:k])
		p = p[k:]
		if err := s.add(s.buf); err != nil {
			return err
		}
	}
	return nil
}

// finish ends an unfinished last line (BDAT content must end in CRLF).
func (s *bdatSpool) finish() error {
	s.buf = s.enc.finish(s.buf[:0])
	return s.add(s.buf)
}

func (s *bdatSpool) add(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	s.size += int64(len(b))
	if s.file == nil && len(s.mem)+len(b) <= bdatMemory {
		s.mem = append(s.mem, b...)
		return nil
	}
	if s.file == nil {
		if err := s.open(); err != nil {
			return err
		}
		held := s.mem
		s.mem = nil
		if err := s.encryptTo(held); err != nil {
			return err
		}
	}
	return s.encryptTo(b)
}

func (s *bdatSpool) open() error {
	s.key, s.iv = make([]byte, 32), make([]byte, aes.BlockSize)
	if _, err := rand.Read(s.key); err != nil {
		return err
	}
	if _, err := rand.Read(s.iv); err != nil {
		return err
	}
	block, err := aes.NewCipher(s.key)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp("", "relaywiz-bdat-*")
	if err != nil {
		return fmt.Errorf("spool the message for BDAT: %w", err)
	}
	if runtime.GOOS != "windows" {
		_ = os.Remove(f.Name()) // the open descriptor keeps it readable
	}
	s.file, s.ctr = f, cipher.NewCTR(block, s.iv)
	return nil
}

func (s *bdatSpool) encryptTo(b []byte) error {
	out := make([]byte, len(b))
	s.ctr.XORKeyStream(out, b)
	if _, err := s.file.Write(out); err != nil {
		return fmt.Errorf("spool the message for BDAT: %w", err)
	}
	return nil
}

// writeTo sends the content, decrypting the file in blocks.
func (s *bdatSpool) writeTo(w io.Writer) error {
	if s.file == nil {
		_, err := w.Write(s.mem)
		return err
	}
	if _, err := s.file.Seek(0, io.SeekStart); err != nil {
		return err
	}
	block, err := aes.NewCipher(s.key)
	if err != nil {
		return err
	}
	dec := cipher.NewCTR(block, s.iv)
	buf := make([]byte, bodyChunk)
	for {
		n, rerr := s.file.Read(buf)
		if n > 0 {
			dec.XORKeyStream(buf[:n], buf[:n])
			if _, err := w.Write(buf[:n]); err != nil {
				return err
			}
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return rerr
		}
	}
}

// close drops the content: memory, key and file.
func (s *bdatSpool) close() {
	if s == nil {
		return
	}
	s.mem = nil
	for i := range s.key {
		s.key[i] = 0
	}
	if s.file != nil {
		name := s.file.Name()
		_ = s.file.Close()
		if runtime.GOOS == "windows" {
			_ = os.Remove(name)
		}
		s.file = nil
	}
}
