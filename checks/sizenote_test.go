package checks

import (
	"strings"
	"testing"
)

// The size note names the limit and the attachment room MIME leaves; a
// small SIZE (here 1000 bytes) used to read "up to 0 MB ... about 0 MB".
func TestSizeNoteNamesTheLimit(t *testing.T) {
	for _, c := range []struct {
		limit      int64
		want, room string
	}{
		{52428800, "up to 50 MB", "about 38 MB of attachments"},
		{35882577, "up to 34 MB", "about 26 MB of attachments"},
		{5 << 20, "up to 5.0 MB", "about 3.8 MB of attachments"},
		{1000, "up to 1000 bytes", "about 750 bytes of attachments"},
	} {
		got := SizeNote(c.limit)
		if !strings.Contains(got, c.want) || !strings.Contains(got, c.room) || strings.Contains(got, " 0 MB") {
			t.Errorf("SizeNote(%d) = %q, want %q and %q", c.limit, got, c.want, c.room)
		}
		if !strings.Contains(got, ExchangeOverAdvertisedSize) {
			t.Errorf("SizeNote(%d) does not name %s", c.limit, ExchangeOverAdvertisedSize)
		}
	}
}
