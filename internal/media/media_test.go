package media_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	_ "image/jpeg" // registers the decoder image.Decode needs
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/image/webp"

	"github.com/wahook/wahook/internal/media"
)

var update = flag.Bool("update", false, "rewrite testdata/TestGoldenDigests.json from the current generators")

// testSeeds mixes small, adjacent, high-bit and extreme seeds: adjacent seeds are the ones a weak
// derivation would collide on.
func testSeeds(n int) []uint64 {
	seeds := make([]uint64, 0, n)
	for i := range uint64(n / 4) {
		seeds = append(seeds, i, 1<<63|i, ^i, i*0x9E3779B97F4A7C15+12345)
	}
	return seeds
}

// spec is what each kind must look like from outside.
var spec = map[media.Kind]struct {
	mime     string
	sniffed  string // what net/http.DetectContentType says, the way a careless receiver checks
	filename *regexp.Regexp
}{
	media.Image:    {"image/jpeg", "image/jpeg", regexp.MustCompile(`^IMG-[0-9a-f]{8}\.jpg$`)},
	media.Sticker:  {"image/webp", "image/webp", regexp.MustCompile(`^sticker-[0-9a-f]{8}\.webp$`)},
	media.Audio:    {"audio/ogg; codecs=opus", "application/ogg", regexp.MustCompile(`^audio-[0-9a-f]{8}\.ogg$`)},
	media.Video:    {"video/mp4", "video/mp4", regexp.MustCompile(`^VID-[0-9a-f]{8}\.mp4$`)},
	media.Document: {"application/pdf", "application/pdf", regexp.MustCompile(`^doc-[0-9a-f]{8}\.pdf$`)},
}

func generate(t testing.TB, kind media.Kind, seed uint64) media.File {
	t.Helper()
	f, err := media.Generate(kind, seed)
	require.NoError(t, err)
	return f
}

func TestKinds(t *testing.T) {
	want := []media.Kind{media.Image, media.Sticker, media.Audio, media.Video, media.Document}
	got := media.Kinds()
	require.Equal(t, want, got)
	got[0] = "mangled"
	assert.Equal(t, want, media.Kinds(), "Kinds must return a copy")
	assert.Len(t, spec, len(want), "every kind needs a spec row")
}

func TestGenerateUnknownKind(t *testing.T) {
	for _, kind := range []media.Kind{"", "gif", "IMAGE", "image ", "location"} {
		_, err := media.Generate(kind, 1)
		require.ErrorIs(t, err, media.ErrUnknownKind, "kind %q", kind)
	}
}

func TestGenerateMetadata(t *testing.T) {
	for _, kind := range media.Kinds() {
		t.Run(string(kind), func(t *testing.T) {
			want := spec[kind]
			for _, seed := range testSeeds(64) {
				f := generate(t, kind, seed)
				assert.Equal(t, kind, f.Kind)
				assert.Equal(t, seed, f.Seed)
				assert.Equal(t, want.mime, f.MIMEType)
				assert.Regexp(t, want.filename, f.Filename)
				assert.Contains(t, f.Filename, fmt.Sprintf("%08x", uint32(seed)))
				assert.Equal(t, want.sniffed, http.DetectContentType(f.Bytes))
				assert.GreaterOrEqual(t, len(f.Bytes), 100)
				assert.LessOrEqual(t, len(f.Bytes), 4096)

				sum := sha256.Sum256(f.Bytes)
				assert.Equal(t, base64.StdEncoding.EncodeToString(sum[:]), f.SHA256())
			}
		})
	}
}

func TestSHA256Encoding(t *testing.T) {
	// The digest of no bytes, in the providers' base64 form rather than hex.
	assert.Equal(t, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", media.File{}.SHA256())
}

func TestGenerateDeterministicAndDistinct(t *testing.T) {
	seeds := testSeeds(2000)
	for _, kind := range media.Kinds() {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			digests := make(map[string]uint64, len(seeds))
			for _, seed := range seeds {
				a := generate(t, kind, seed)
				b := generate(t, kind, seed)
				require.Equal(t, a.Bytes, b.Bytes, "seed %#x regenerated differently", seed)
				require.Equal(t, a.Filename, b.Filename)
				d := a.SHA256()
				if other, dup := digests[d]; dup {
					require.Failf(t, "same bytes", "seeds %#x and %#x", other, seed)
				}
				digests[d] = seed
			}
		})
	}
}

func TestGenerateReturnsFreshBytes(t *testing.T) {
	for _, kind := range media.Kinds() {
		f := generate(t, kind, 7)
		want := bytes.Clone(f.Bytes)
		clear(f.Bytes)
		assert.Equal(t, want, generate(t, kind, 7).Bytes, "%s: a caller's change leaked into the next file", kind)
	}
}

func TestGenerateConcurrent(t *testing.T) {
	want := map[media.Kind][]byte{}
	for _, kind := range media.Kinds() {
		want[kind] = generate(t, kind, 99).Bytes
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, kind := range media.Kinds() {
				f, err := media.Generate(kind, 99)
				if assert.NoError(t, err) {
					assert.Equal(t, want[kind], f.Bytes, kind)
				}
			}
		}()
	}
	wg.Wait()
}

// TestGoldenDigests pins the bytes across machines and Go releases: the JPEG comes from
// image/jpeg, whose output a Go upgrade could change, and a changed file breaks every webhook
// already sent. Refresh with: go test ./internal/media -run TestGoldenDigests -update
func TestGoldenDigests(t *testing.T) {
	got := map[media.Kind]map[string]string{}
	for _, kind := range media.Kinds() {
		got[kind] = map[string]string{}
		for _, seed := range []uint64{0, 1, 123456789, 1<<64 - 1} {
			got[kind][media.Key(kind, seed)] = generate(t, kind, seed).SHA256()
		}
	}
	gotJSON, err := json.MarshalIndent(got, "", "  ")
	require.NoError(t, err)
	path := filepath.Join("testdata", t.Name()+".json")
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, append(gotJSON, '\n'), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run with -update to create it")
	assert.JSONEq(t, string(want), string(gotJSON), "generated bytes changed: mismatch (-want +got)")
}

func TestJPEG(t *testing.T) {
	for _, seed := range testSeeds(64) {
		f := generate(t, media.Image, seed)
		m, format, err := image.Decode(bytes.NewReader(f.Bytes))
		require.NoError(t, err, "seed %#x", seed)
		assert.Equal(t, "jpeg", format)
		assert.Equal(t, image.Rect(0, 0, 16, 16), m.Bounds())

		require.True(t, bytes.HasPrefix(f.Bytes, []byte{0xff, 0xd8, 0xff, 0xfe}), "SOI then COM")
		require.True(t, bytes.HasSuffix(f.Bytes, []byte{0xff, 0xd9}), "EOI")
		comLen := int(binary.BigEndian.Uint16(f.Bytes[4:]))
		assert.Equal(t, fmt.Sprintf("wahook mock image seed=%016x", seed), string(f.Bytes[6:4+comLen]))
		assert.Equal(t, byte(0xff), f.Bytes[4+comLen], "a marker must follow the comment")
	}
}

// riffChunk is one chunk of a RIFF file, as a WebP reader walks them.
type riffChunk struct {
	fourCC string
	data   []byte
}

func riffChunks(t *testing.T, b []byte) []riffChunk {
	t.Helper()
	require.GreaterOrEqual(t, len(b), 12)
	require.Equal(t, "RIFF", string(b[:4]))
	require.Equal(t, uint32(len(b)-8), binary.LittleEndian.Uint32(b[4:]), "RIFF size must be the file length less 8")
	require.Equal(t, "WEBP", string(b[8:12]))
	var chunks []riffChunk
	for rest := b[12:]; len(rest) > 0; {
		require.GreaterOrEqual(t, len(rest), 8, "truncated chunk header")
		size := int(binary.LittleEndian.Uint32(rest[4:]))
		padded := size + size&1
		require.LessOrEqual(t, 8+padded, len(rest), "chunk %q overruns the file", rest[:4])
		if size&1 == 1 {
			assert.Equal(t, byte(0), rest[8+size], "pad byte must be zero")
		}
		chunks = append(chunks, riffChunk{string(rest[:4]), rest[8 : 8+size]})
		rest = rest[8+padded:]
	}
	return chunks
}

func TestWebP(t *testing.T) {
	for _, seed := range testSeeds(256) {
		f := generate(t, media.Sticker, seed)
		chunks := riffChunks(t, f.Bytes)
		require.Len(t, chunks, 3)
		assert.Equal(t, "VP8X", chunks[0].fourCC)
		assert.Equal(t, "VP8L", chunks[1].fourCC)
		assert.Equal(t, "XMP ", chunks[2].fourCC)

		vp8x := chunks[0].data
		require.Len(t, vp8x, 10)
		assert.Equal(t, byte(1<<2), vp8x[0], "only the XMP flag: no alpha, ICC, EXIF or animation")
		assert.Equal(t, make([]byte, 9), vp8x[1:], "reserved bits zero, canvas 1x1")

		vp8l := chunks[1].data
		require.NotEmpty(t, vp8l)
		assert.Equal(t, byte(0x2f), vp8l[0], "VP8L signature")
		hdr := binary.LittleEndian.Uint32(vp8l[1:])
		assert.Equal(t, uint32(0), hdr&(1<<14-1), "width-1")
		assert.Equal(t, uint32(0), hdr>>14&(1<<14-1), "height-1")
		assert.Equal(t, uint32(0), hdr>>28, "alpha_is_used and version")

		assert.Contains(t, string(chunks[2].data), `dc:identifier="`+media.Key(media.Sticker, seed)+`"`)
		assert.Equal(t, 1, len(chunks[2].data)%2, "the XMP payload is odd-length so that the pad byte is exercised")

		// An independent decoder is the real test of the hand-written bitstream.
		cfg, err := webp.DecodeConfig(bytes.NewReader(f.Bytes))
		require.NoError(t, err, "seed %#x", seed)
		assert.Equal(t, 1, cfg.Width)
		assert.Equal(t, 1, cfg.Height)
		m, err := webp.Decode(bytes.NewReader(f.Bytes))
		require.NoError(t, err, "seed %#x", seed)
		require.Equal(t, image.Rect(0, 0, 1, 1), m.Bounds())
		_, _, _, a := m.At(0, 0).RGBA()
		assert.Equal(t, uint32(0xffff), a, "the pixel is opaque")
	}
}

func TestWebPColourFollowsSeed(t *testing.T) {
	colours := map[string]int{}
	for _, seed := range testSeeds(256) {
		m, err := webp.Decode(bytes.NewReader(generate(t, media.Sticker, seed).Bytes))
		require.NoError(t, err)
		r, g, b, _ := m.At(0, 0).RGBA()
		colours[fmt.Sprint(r, g, b)]++
	}
	// 24 random bits over 256 seeds: a handful of repeats at most, never one colour for all.
	assert.Greater(t, len(colours), 250)
}

// oggCRC is Ogg's CRC-32 computed bit by bit, independently of the package's table.
func oggCRC(b []byte) uint32 {
	var crc uint32
	for _, c := range b {
		crc ^= uint32(c) << 24
		for range 8 {
			if crc&0x80000000 != 0 {
				crc = crc<<1 ^ 0x04c11db7
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

func TestOggCRCReference(t *testing.T) {
	// CRC-32/POSIX shares Ogg's polynomial, zero init and bit order, and adds a final XOR; its
	// published check value for "123456789" is 0x765e7680.
	assert.Equal(t, ^uint32(0x765e7680), oggCRC([]byte("123456789")))
}

// oggPage is one parsed page and the packets that end on it.
type oggPage struct {
	flags    byte
	granule  uint64
	serial   uint32
	sequence uint32
	packets  [][]byte
}

func oggPages(t *testing.T, b []byte) []oggPage {
	t.Helper()
	var pages []oggPage
	for rest := b; len(rest) > 0; {
		require.GreaterOrEqual(t, len(rest), 27, "truncated page header")
		require.Equal(t, "OggS", string(rest[:4]), "capture pattern")
		require.Equal(t, byte(0), rest[4], "stream structure version")
		nsegs := int(rest[26])
		require.GreaterOrEqual(t, len(rest), 27+nsegs)
		lacing := rest[27 : 27+nsegs]
		bodyLen := 0
		for _, l := range lacing {
			bodyLen += int(l)
		}
		require.GreaterOrEqual(t, len(rest), 27+nsegs+bodyLen, "segment table overruns the file")
		page := bytes.Clone(rest[:27+nsegs+bodyLen])
		want := binary.LittleEndian.Uint32(page[22:])
		clear(page[22:26])
		require.Equal(t, oggCRC(page), want, "page %d CRC", len(pages))

		p := oggPage{
			flags:    rest[5],
			granule:  binary.LittleEndian.Uint64(rest[6:]),
			serial:   binary.LittleEndian.Uint32(rest[14:]),
			sequence: binary.LittleEndian.Uint32(rest[18:]),
		}
		body := rest[27+nsegs : 27+nsegs+bodyLen]
		var packet []byte
		for _, l := range lacing {
			packet = append(packet, body[:l]...)
			body = body[l:]
			if l < 255 {
				p.packets = append(p.packets, packet)
				packet = nil
			}
		}
		require.Nil(t, packet, "these streams never continue a packet onto the next page")
		pages = append(pages, p)
		rest = rest[27+nsegs+bodyLen:]
	}
	return pages
}

func TestOgg(t *testing.T) {
	for _, seed := range testSeeds(256) {
		f := generate(t, media.Audio, seed)
		pages := oggPages(t, f.Bytes)
		require.Len(t, pages, 3)
		for i, p := range pages {
			assert.Equal(t, uint32(i), p.sequence, "page sequence")
			assert.Equal(t, pages[0].serial, p.serial, "one logical stream")
		}
		assert.Equal(t, byte(0x02), pages[0].flags, "first page: beginning of stream only")
		assert.Equal(t, byte(0x00), pages[1].flags)
		assert.Equal(t, byte(0x04), pages[2].flags, "last page: end of stream only")
		assert.Zero(t, pages[0].granule, "header pages have granule 0")
		assert.Zero(t, pages[1].granule)

		require.Len(t, pages[0].packets, 1, "OpusHead is alone on its page")
		head := pages[0].packets[0]
		require.Len(t, head, 19)
		assert.Equal(t, "OpusHead", string(head[:8]))
		assert.Equal(t, byte(1), head[8], "version")
		assert.Equal(t, byte(1), head[9], "channels")
		preSkip := binary.LittleEndian.Uint16(head[10:])
		assert.Equal(t, uint32(48000), binary.LittleEndian.Uint32(head[12:]))
		assert.Equal(t, byte(0), head[18], "mapping family")

		require.Len(t, pages[1].packets, 1, "OpusTags is alone on its page")
		vendor, comments := parseOpusTags(t, pages[1].packets[0])
		assert.Contains(t, vendor, fmt.Sprintf("%016x", seed))
		assert.Contains(t, comments, "WAHOOK_KEY="+media.Key(media.Audio, seed))

		require.NotEmpty(t, pages[2].packets)
		for _, pkt := range pages[2].packets {
			require.NotEmpty(t, pkt)
			assert.Equal(t, byte(0xf8), pkt[0], "TOC: CELT fullband 20 ms, mono, one frame")
		}
		assert.Equal(t, uint64(len(pages[2].packets)*960), pages[2].granule)
		assert.Greater(t, pages[2].granule, uint64(preSkip), "something left to play after pre-skip")
	}
}

func parseOpusTags(t *testing.T, b []byte) (vendor string, comments []string) {
	t.Helper()
	require.Equal(t, "OpusTags", string(b[:8]))
	b = b[8:]
	next := func() string {
		require.GreaterOrEqual(t, len(b), 4)
		n := int(binary.LittleEndian.Uint32(b))
		require.GreaterOrEqual(t, len(b), 4+n)
		s := string(b[4 : 4+n])
		b = b[4+n:]
		return s
	}
	vendor = next()
	require.GreaterOrEqual(t, len(b), 4)
	count := int(binary.LittleEndian.Uint32(b))
	b = b[4:]
	for range count {
		comments = append(comments, next())
	}
	assert.Empty(t, b, "nothing after the comment list")
	return vendor, comments
}

// box is one ISO BMFF box.
type box struct {
	typ  string
	body []byte
}

func boxes(t *testing.T, b []byte) []box {
	t.Helper()
	var out []box
	total := 0
	for rest := b; len(rest) > 0; {
		require.GreaterOrEqual(t, len(rest), 8, "truncated box header")
		size := int(binary.BigEndian.Uint32(rest))
		require.GreaterOrEqual(t, size, 8, "sizes 0 (to end) and 1 (64-bit) are not used here")
		require.LessOrEqual(t, size, len(rest), "box %q overruns its container", rest[4:8])
		out = append(out, box{string(rest[4:8]), rest[8:size]})
		total += size
		rest = rest[size:]
	}
	require.Equal(t, len(b), total, "box sizes must sum to the container's length")
	return out
}

func TestMP4(t *testing.T) {
	for _, seed := range testSeeds(256) {
		f := generate(t, media.Video, seed)
		top := boxes(t, f.Bytes)
		require.Len(t, top, 3)
		assert.Equal(t, "ftyp", top[0].typ)
		assert.Equal(t, "free", top[1].typ)
		assert.Equal(t, "moov", top[2].typ)

		ftyp := top[0].body
		require.Len(t, ftyp, 20)
		assert.Equal(t, "isom", string(ftyp[:4]), "major brand")
		assert.Equal(t, "isomiso2mp41", string(ftyp[8:]), "compatible brands")

		free := top[1].body
		require.GreaterOrEqual(t, len(free), 8)
		assert.Equal(t, seed, binary.BigEndian.Uint64(free[len(free)-8:]))

		moov := boxes(t, top[2].body)
		require.Len(t, moov, 1)
		require.Equal(t, "mvhd", moov[0].typ)
		mvhd := moov[0].body
		require.Len(t, mvhd, 100, "version 0 mvhd is 108 bytes with its header")
		assert.Equal(t, []byte{0, 0, 0, 0}, mvhd[:4], "version 0, no flags")
		assert.Equal(t, uint32(1000), binary.BigEndian.Uint32(mvhd[12:]), "timescale")
		duration := binary.BigEndian.Uint32(mvhd[16:])
		assert.GreaterOrEqual(t, duration, uint32(1000))
		assert.LessOrEqual(t, duration, uint32(60000))
		assert.Equal(t, uint32(0x00010000), binary.BigEndian.Uint32(mvhd[20:]), "rate 1.0")
		assert.Equal(t, uint32(0x40000000), binary.BigEndian.Uint32(mvhd[68:]), "matrix w")
		assert.Equal(t, uint32(1), binary.BigEndian.Uint32(mvhd[96:]), "next track ID")
	}
}

var (
	xrefEntry = regexp.MustCompile(`^(\d{10}) (\d{5}) ([nf])\r\n$`)
	objHeader = regexp.MustCompile(`^(\d+) 0 obj\n`)
	streamLen = regexp.MustCompile(`/Length (\d+) >>\nstream\n`)
)

func TestPDF(t *testing.T) {
	for _, seed := range testSeeds(256) {
		f := generate(t, media.Document, seed)
		b := f.Bytes
		require.True(t, bytes.HasPrefix(b, []byte("%PDF-1.4\n")))
		require.True(t, bytes.HasSuffix(b, []byte("\n%%EOF\n")))

		tail := b[bytes.LastIndex(b, []byte("startxref\n"))+len("startxref\n"):]
		xrefAt, err := strconv.Atoi(string(tail[:bytes.IndexByte(tail, '\n')]))
		require.NoError(t, err)
		require.True(t, bytes.HasPrefix(b[xrefAt:], []byte("xref\n0 ")), "startxref must point at the xref keyword")

		section := b[xrefAt+len("xref\n"):]
		header := string(section[:bytes.IndexByte(section, '\n')])
		var first, count int
		_, err = fmt.Sscanf(header, "%d %d", &first, &count)
		require.NoError(t, err)
		require.Zero(t, first)
		entries := section[len(header)+1:]
		require.GreaterOrEqual(t, len(entries), 20*count)
		for i := range count {
			m := xrefEntry.FindSubmatch(entries[20*i : 20*i+20])
			require.NotNil(t, m, "entry %d %q is not a 20-byte xref line", i, entries[20*i:20*i+20])
			if i == 0 {
				assert.Equal(t, "0000000000 65535 f\r\n", string(entries[:20]), "free-list head")
				continue
			}
			assert.Equal(t, "n", string(m[3]))
			off, _ := strconv.Atoi(string(m[1]))
			obj := objHeader.FindSubmatch(b[off:])
			require.NotNil(t, obj, "entry %d offset %d must point at an object header", i, off)
			assert.Equal(t, strconv.Itoa(i), string(obj[1]), "entry %d points at the wrong object", i)
		}
		trailer := string(entries[20*count:])
		assert.True(t, strings.HasPrefix(trailer, fmt.Sprintf("trailer\n<< /Size %d /Root 1 0 R >>", count)), trailer)

		m := streamLen.FindSubmatchIndex(b)
		require.NotNil(t, m)
		n, _ := strconv.Atoi(string(b[m[2]:m[3]]))
		assert.True(t, bytes.HasPrefix(b[m[1]+n:], []byte("\nendstream\n")), "stream /Length is wrong")
		content := string(b[m[1] : m[1]+n])
		assert.Contains(t, content, "("+media.Key(media.Document, seed)+") Tj")
	}
}

func BenchmarkGenerate(b *testing.B) {
	for _, kind := range media.Kinds() {
		b.Run(string(kind), func(b *testing.B) {
			b.ReportAllocs()
			var seed uint64
			for b.Loop() {
				seed++
				if _, err := media.Generate(kind, seed); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
