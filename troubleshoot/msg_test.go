package troubleshoot

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"unicode/utf16"
)

// cfbNode is a storage (children set) or a stream (data set) of a test
// compound file.
type cfbNode struct {
	name     string
	data     []byte
	children []*cfbNode
	storage  bool
}

const (
	cfbFree       = 0xFFFFFFFF
	cfbEndOfChain = 0xFFFFFFFE
	cfbFATSect    = 0xFFFFFFFD
	cfbNoStream   = 0xFFFFFFFF
)

// buildCFB writes a version 3 compound file ([MS-CFB]): 512-byte sectors,
// streams below 4096 bytes in the mini stream, the rest in FAT chains. It
// is the writer side of what readMsg reads, kept small: no DIFAT beyond
// the header's 109 entries, siblings as a right-leaning chain in the
// spec's name order.
func buildCFB(t testing.TB, root []*cfbNode) []byte {
	t.Helper()
	const sector, mini, cutoff = 512, 64, 4096

	// Flatten the tree into directory entries (0 = root).
	type dirEntry struct {
		node               *cfbNode
		kind               byte
		left, right, child uint32
		start              uint32
		size               uint32
	}
	dir := []*dirEntry{{node: &cfbNode{name: "Root Entry", children: root, storage: true}, kind: 5, left: cfbNoStream, right: cfbNoStream, child: cfbNoStream}}
	var add func(parent int)
	add = func(parent int) {
		kids := append([]*cfbNode(nil), dir[parent].node.children...)
		sort.Slice(kids, func(i, j int) bool {
			a, b := kids[i].name, kids[j].name
			if len(a) != len(b) {
				return len(a) < len(b)
			}
			return strings.ToUpper(a) < strings.ToUpper(b)
		})
		prev := -1
		for _, k := range kids {
			e := &dirEntry{node: k, kind: 2, left: cfbNoStream, right: cfbNoStream, child: cfbNoStream}
			if k.storage {
				e.kind = 1
			}
			dir = append(dir, e)
			idx := len(dir) - 1
			if prev < 0 {
				dir[parent].child = uint32(idx)
			} else {
				dir[prev].right = uint32(idx)
			}
			prev = idx
			if k.storage {
				add(idx)
			}
		}
	}
	add(0)

	// Mini stream and its FAT.
	var ministream []byte
	var miniFAT []uint32
	var bigStreams []*dirEntry
	for _, e := range dir[1:] {
		if e.kind != 2 {
			continue
		}
		e.size = uint32(len(e.node.data))
		if len(e.node.data) >= cutoff {
			bigStreams = append(bigStreams, e)
			continue
		}
		if len(e.node.data) == 0 {
			e.start = cfbEndOfChain
			continue
		}
		e.start = uint32(len(miniFAT))
		n := (len(e.node.data) + mini - 1) / mini
		for i := 0; i < n; i++ {
			next := uint32(len(miniFAT) + 1)
			if i == n-1 {
				next = cfbEndOfChain
			}
			miniFAT = append(miniFAT, next)
		}
		buf := make([]byte, n*mini)
		copy(buf, e.node.data)
		ministream = append(ministream, buf...)
	}

	sectorsOf := func(n int) int { return (n + sector - 1) / sector }
	dirSectors := sectorsOf(len(dir) * 128)
	miniFATSectors := sectorsOf(len(miniFAT) * 4)
	miniStreamSectors := sectorsOf(len(ministream))
	bigSectors := 0
	for _, e := range bigStreams {
		bigSectors += sectorsOf(len(e.node.data))
	}
	other := dirSectors + miniFATSectors + miniStreamSectors + bigSectors
	fatSectors := 1
	for fatSectors*128 < other+fatSectors {
		fatSectors++
	}
	if fatSectors > 109 {
		t.Fatal("test compound file too large for a header-only DIFAT")
	}
	total := fatSectors + other
	fat := make([]uint32, fatSectors*128)
	for i := range fat {
		fat[i] = cfbFree
	}
	next := 0
	chain := func(n int) uint32 {
		if n == 0 {
			return cfbEndOfChain
		}
		start := next
		for i := 0; i < n; i++ {
			fat[next] = uint32(next + 1)
			if i == n-1 {
				fat[next] = cfbEndOfChain
			}
			next++
		}
		return uint32(start)
	}
	for i := 0; i < fatSectors; i++ {
		fat[next] = cfbFATSect
		next++
	}
	dirStart := chain(dirSectors)
	miniFATStart := chain(miniFATSectors)
	dir[0].start = chain(miniStreamSectors)
	dir[0].size = uint32(len(ministream))
	for _, e := range bigStreams {
		e.start = chain(sectorsOf(len(e.node.data)))
	}
	if next != total {
		t.Fatalf("sector accounting: %d != %d", next, total)
	}

	out := make([]byte, sector*(1+total))
	le := binary.LittleEndian
	h := out[:sector]
	copy(h, cfbMagic)
	le.PutUint16(h[24:], 0x003E)
	le.PutUint16(h[26:], 3)
	le.PutUint16(h[28:], 0xFFFE)
	le.PutUint16(h[30:], 9)
	le.PutUint16(h[32:], 6)
	le.PutUint32(h[44:], uint32(fatSectors))
	le.PutUint32(h[48:], dirStart)
	le.PutUint32(h[56:], cutoff)
	le.PutUint32(h[60:], miniFATStart)
	le.PutUint32(h[64:], uint32(miniFATSectors))
	le.PutUint32(h[68:], cfbEndOfChain)
	for i := 0; i < 109; i++ {
		v := uint32(cfbFree)
		if i < fatSectors {
			v = uint32(i)
		}
		le.PutUint32(h[76+4*i:], v)
	}
	at := func(s uint32) []byte { return out[sector*(1+int(s)):] }
	for i, v := range fat {
		le.PutUint32(at(uint32(i / 128))[4*(i%128):], v)
	}
	for i, e := range dir {
		b := at(dirStart)[128*i:]
		name := utf16.Encode([]rune(e.node.name))
		for j, c := range name {
			le.PutUint16(b[2*j:], c)
		}
		le.PutUint16(b[64:], uint16(2*(len(name)+1)))
		b[66], b[67] = e.kind, 1
		le.PutUint32(b[68:], e.left)
		le.PutUint32(b[72:], e.right)
		le.PutUint32(b[76:], e.child)
		le.PutUint32(b[116:], e.start)
		le.PutUint32(b[120:], e.size)
	}
	for i, v := range miniFAT {
		le.PutUint32(at(miniFATStart)[4*i:], v)
	}
	if len(ministream) > 0 {
		copy(at(dir[0].start), ministream)
	}
	for _, e := range bigStreams {
		copy(at(e.start), e.node.data)
	}
	return out
}

func utf16le(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u)+2) // with the terminating NUL Outlook writes
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	return b
}

func stream(name string, data []byte) *cfbNode { return &cfbNode{name: name, data: data} }

// msgWithHeaders is an Outlook item with the given transport headers and
// the streams every .msg has besides (subject, properties).
func msgWithHeaders(headers string, extra ...*cfbNode) []*cfbNode {
	nodes := []*cfbNode{
		stream("__properties_version1.0", make([]byte, 32)),
		stream("__substg1.0_0037001F", utf16le("Uitslag onderzoek")),
	}
	if headers != "" {
		nodes = append(nodes, stream("__substg1.0_007D001F", utf16le(headers)))
	}
	return append(nodes, extra...)
}

func TestAnalyzeOutlookMsg(t *testing.T) {
	secure := string(readTestdata(t, "secure-pams-onprem.eml"))
	headerBlock := secure[:strings.Index(secure, "\r\n\r\n")+4]
	// Pad past the 4096-byte mini-stream cutoff for the second case: the
	// headers then live in ordinary FAT sectors.
	long := strings.Replace(headerBlock, "MIME-Version:", "X-Padding: "+strings.Repeat("p", 5000)+"\r\nMIME-Version:", 1)
	for name, hdr := range map[string]string{"mini stream": headerBlock, "FAT sectors": long} {
		t.Run(name, func(t *testing.T) {
			msg := buildCFB(t, msgWithHeaders(hdr))
			a, err := Analyze(bytes.NewReader(msg), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if a.Input != "msg" || len(a.Hops) != 4 || secureString(a.Verdict.Secure) != "true" || a.Markers.Subject != "Uitslag onderzoek" {
				t.Errorf("input %s hops %d secure %s subject %q: %v", a.Input, len(a.Hops), secureString(a.Verdict.Secure), a.Markers.Subject, a.Verdict.Reasons)
			}
		})
	}
}

func TestAnalyzeOutlookMsg8bit(t *testing.T) {
	hdr := "Received: from a.example (a.example [192.0.2.1]) by smtp.zivver.com with ESMTPS; Tue, 14 Jan 2025 10:00:00 +0000\r\nSubject: caf\xe9\r\n\r\n"
	msg := buildCFB(t, []*cfbNode{stream("__substg1.0_007D001E", append([]byte(hdr), 0))})
	a, err := Analyze(bytes.NewReader(msg), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if a.Markers.Subject != "café" || len(a.Hops) != 1 {
		t.Errorf("subject %q hops %d", a.Markers.Subject, len(a.Hops))
	}
}

// A draft or a Sent Items copy has no transport headers: bad input with
// advice, not "no headers found".
func TestAnalyzeOutlookMsgWithoutTransportHeaders(t *testing.T) {
	_, err := Analyze(bytes.NewReader(buildCFB(t, msgWithHeaders(""))), Options{})
	var me *MsgError
	if !errors.As(err, &me) || !IsBadInput(err) || !strings.Contains(err.Error(), "Inbox") {
		t.Errorf("err = %v", err)
	}
}

// An Outlook item attached to the .msg is offered and can be analysed.
func TestAnalyzeOutlookMsgEmbeddedItem(t *testing.T) {
	inner := string(readTestdata(t, "no-tls-hop.eml"))
	inner = inner[:strings.Index(inner, "\r\n\r\n")+4]
	attach := &cfbNode{name: "__attach_version1.0_#00000000", storage: true, children: []*cfbNode{
		stream("__properties_version1.0", make([]byte, 16)),
		{name: "__substg1.0_3701000D", storage: true, children: []*cfbNode{
			stream("__properties_version1.0", make([]byte, 24)),
			stream("__substg1.0_007D001F", utf16le(inner)),
		}},
	}}
	outer := "Received: from a.example (a.example [192.0.2.1]) by mx.example with ESMTPS; Tue, 14 Jan 2025 10:00:00 +0000\r\nSubject: FW: problem\r\n\r\n"
	msg := buildCFB(t, msgWithHeaders(outer, attach))

	a, err := Analyze(bytes.NewReader(msg), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Attached) != 1 || a.Attached[0].Hops != 3 {
		t.Fatalf("attached = %+v", a.Attached)
	}
	if r, ok := hasCode(a.Verdict, CodeAttached); !ok || !strings.Contains(r.Message, "--attached 1") {
		t.Errorf("offer = %+v", r)
	}
	in, err := Analyze(bytes.NewReader(msg), Options{Attached: 1})
	if err != nil {
		t.Fatal(err)
	}
	if in.Input != "attached 1" || secureString(in.Verdict.Secure) != "false" || in.Verdict.Reasons[0].Code != CodeProviderNoTLS {
		t.Errorf("attached analysis: input %s %v", in.Input, in.Verdict.Reasons)
	}
	if _, err := Analyze(bytes.NewReader(msg), Options{Attached: 2}); !IsBadInput(err) {
		t.Errorf("attached 2 of 1: %v", err)
	}
}

func TestAnalyzeOutlookMsgDamaged(t *testing.T) {
	good := buildCFB(t, msgWithHeaders("Received: from a by b with ESMTPS; Tue, 14 Jan 2025 10:00:00 +0000\r\n\r\n"))
	for name, data := range map[string][]byte{
		"header only":  good[:512],
		"truncated":    good[:len(good)-300],
		"magic only":   append([]byte(nil), cfbMagic...),
		"bad dir loop": corruptDirectory(good),
	} {
		_, err := Analyze(bytes.NewReader(data), Options{})
		if err == nil {
			continue // a damage the reader tolerates is fine, a panic is not
		}
		if !IsBadInput(err) {
			t.Errorf("%s: err %v is not bad input", name, err)
		}
	}
}

// corruptDirectory points the root entry's child at itself.
func corruptDirectory(good []byte) []byte {
	b := append([]byte(nil), good...)
	dirStart := binary.LittleEndian.Uint32(b[48:])
	off := 512 * (1 + int(dirStart))
	binary.LittleEndian.PutUint32(b[off+76:], 0)
	return b
}

// FuzzReadMsg: any bytes behind the compound-file magic give headers or a
// MsgError, never a panic or a hang.
func FuzzReadMsg(f *testing.F) {
	f.Add(buildCFB(f, msgWithHeaders("Received: from a by b with ESMTPS; Tue, 14 Jan 2025 10:00:00 +0000\r\n\r\n")))
	f.Add(buildCFB(f, []*cfbNode{stream("__substg1.0_007D001E", []byte("Subject: x\r\n\r\n"))}))
	f.Add(append(append([]byte(nil), cfbMagic...), make([]byte, 600)...))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<20 {
			return
		}
		c, err := readMsg(data)
		if err != nil {
			var me *MsgError
			if !errors.As(err, &me) {
				t.Fatalf("error type %T: %v", err, err)
			}
			return
		}
		if len(c.headers) > 2*len(data) {
			t.Fatalf("headers longer than the file")
		}
	})
}

// secure-pams-onprem.msg is the .msg form of secure-pams-onprem.eml, built
// by buildCFB; the CLI tests read it. This test keeps the committed file
// equal to what the writer produces (go test -run MsgFixture -update-msg
// rewrites it).
func TestMsgFixtureUpToDate(t *testing.T) {
	eml := string(readTestdata(t, "secure-pams-onprem.eml"))
	want := buildCFB(t, msgWithHeaders(eml[:strings.Index(eml, "\r\n\r\n")+4]))
	path := filepath.Join("testdata", "secure-pams-onprem.msg")
	if *updateMsg {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("%s is missing or stale (%v): run go test ./troubleshoot -run MsgFixture -update-msg", path, err)
	}
}

var updateMsg = flag.Bool("update-msg", false, "rewrite testdata/secure-pams-onprem.msg")

// A saved .msg attached to a ticket mail is offered like an attached .eml.
func TestAnalyzeMsgAttachedToEML(t *testing.T) {
	msg := readTestdata(t, "secure-pams-onprem.msg")
	b64 := base64.StdEncoding.EncodeToString(msg)
	var body strings.Builder
	for len(b64) > 76 {
		body.WriteString(b64[:76] + "\r\n")
		b64 = b64[76:]
	}
	body.WriteString(b64 + "\r\n")
	in := "Subject: ticket 4711\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee the attached message\r\n" +
		"--b\r\nContent-Type: application/vnd.ms-outlook; name=\"Uitslag.msg\"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"Uitslag.msg\"\r\n\r\n" +
		body.String() + "--b--\r\n"
	a, err := Analyze(strings.NewReader(in), Options{ScanAttached: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Attached) != 1 || a.Attached[0].Hops != 4 || a.Attached[0].Subject != "Uitslag onderzoek" {
		t.Fatalf("attached = %+v", a.Attached)
	}
	inner, err := Analyze(strings.NewReader(in), Options{Attached: 1})
	if err != nil || secureString(inner.Verdict.Secure) != "true" {
		t.Errorf("attached .msg: %v %v", err, inner.Verdict.Reasons)
	}
}
