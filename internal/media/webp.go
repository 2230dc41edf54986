package media

import (
	"encoding/binary"
	"fmt"
)

// makeWebP writes an extended-format WebP by hand, as the standard library has no WebP encoder:
//
//	RIFF <size> WEBP
//	  VP8X  canvas 1x1, XMP flag set
//	  VP8L  a lossless 1x1 image whose opaque colour comes from the seed
//	  XMP   a packet naming the seed
//
// A 1x1 pixel holds only 24 bits of colour, so the XMP packet is what makes every seed's bytes
// different. Its trailing newline makes the payload odd-length, so every file also exercises RIFF's
// pad byte, the part of the container readers most often get wrong. The pixel is opaque and the VP8X alpha flag clear because decoders disagree about a
// VP8L image under a set alpha flag (golang.org/x/image/webp rejects the combination).
func makeWebP(seed uint64) []byte {
	r := mix64(seed ^ 0x57454250) // "WEBP"
	vp8l := vp8lPixel(uint8(r), uint8(r>>8), uint8(r>>16))
	xmp := fmt.Appendf(nil, `<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>`+
		`<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">`+
		`<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" dc:identifier="%s"/>`+
		`</rdf:RDF></x:xmpmeta><?xpacket end="r"?>`+"\n", Key(Sticker, seed))

	const xmpFlag = 1 << 2
	vp8x := []byte{
		xmpFlag, 0, 0, 0, // flags, then 24 reserved bits
		0, 0, 0, // canvas width - 1, 24-bit little-endian
		0, 0, 0, // canvas height - 1
	}

	out := make([]byte, 0, 12+riffChunkLen(vp8x)+riffChunkLen(vp8l)+riffChunkLen(xmp))
	out = append(out, "RIFF\x00\x00\x00\x00WEBP"...)
	out = appendRIFFChunk(out, "VP8X", vp8x)
	out = appendRIFFChunk(out, "VP8L", vp8l)
	out = appendRIFFChunk(out, "XMP ", xmp)
	binary.LittleEndian.PutUint32(out[4:], uint32(len(out)-8))
	return out
}

// riffChunkLen is the room a chunk takes: header, payload and the pad byte RIFF wants after an odd
// payload.
func riffChunkLen(payload []byte) int { return 8 + len(payload) + len(payload)&1 }

// appendRIFFChunk appends one chunk; its size field counts the payload but not the pad byte.
func appendRIFFChunk(out []byte, fourCC string, payload []byte) []byte {
	out = append(out, fourCC...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(payload)))
	out = append(out, payload...)
	if len(payload)&1 == 1 {
		out = append(out, 0)
	}
	return out
}

// vp8lPixel encodes an opaque 1x1 image as a VP8L bitstream (RFC 9649, section 3). With no
// transform, no colour cache and no meta prefix codes, each of the five prefix codes is a "simple"
// code with a single symbol: a single-symbol code has zero-length codewords, so the pixel itself
// costs no bits and the stream is just the header and the codes naming G, R, B, A (and distance 0).
func vp8lPixel(red, green, blue uint8) []byte {
	var w bitWriter
	w.write(0x2f, 8) // signature
	w.write(0, 14)   // width - 1
	w.write(0, 14)   // height - 1
	w.write(0, 1)    // alpha_is_used: the pixel is opaque
	w.write(0, 3)    // version
	w.write(0, 1)    // no transform
	w.write(0, 1)    // no colour cache
	w.write(0, 1)    // no meta prefix codes: one prefix code group for the whole image
	// The group's codes come in this order: green (with length and cache symbols), red, blue, alpha,
	// distance. A pixel is then read as green, red, blue, alpha.
	for _, v := range []uint8{green, red, blue, 0xff} {
		w.write(1, 1) // simple code
		w.write(0, 1) // num_symbols - 1
		w.write(1, 1) // is_first_8bits: the symbol takes 8 bits
		w.write(uint32(v), 8)
	}
	w.write(1, 1) // distance: simple code,
	w.write(0, 1) // one symbol,
	w.write(0, 1) // written in 1 bit,
	w.write(0, 1) // symbol 0 (never used: there are no backward references)
	return w.bytes()
}

// bitWriter packs values least-significant bit first, the order VP8L reads them.
type bitWriter struct {
	buf   []byte
	acc   uint64
	nbits uint
}

// write appends the low n bits of v.
func (w *bitWriter) write(v uint32, n uint) {
	w.acc |= uint64(v&(1<<n-1)) << w.nbits
	w.nbits += n
	for w.nbits >= 8 {
		w.buf = append(w.buf, byte(w.acc))
		w.acc >>= 8
		w.nbits -= 8
	}
}

// bytes flushes a partial last byte, zero-padded.
func (w *bitWriter) bytes() []byte {
	if w.nbits > 0 {
		w.buf = append(w.buf, byte(w.acc))
		w.acc, w.nbits = 0, 0
	}
	return w.buf
}
