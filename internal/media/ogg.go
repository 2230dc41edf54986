package media

import (
	"encoding/binary"
	"fmt"
)

// Opus in Ogg (RFC 7845) as WhatsApp voice notes use it: mono, 48 kHz.
const (
	opusPreSkip      = 312 // libopus's usual encoder delay, in 48 kHz samples
	opusFrameSamples = 960 // one 20 ms frame at 48 kHz
	opusFrames       = 25  // half a second of audio
)

// opusSilence is one 20 ms CELT fullband mono frame that decodes to digital silence (TOC 0xf8:
// config 31, mono, one frame), the frame libopus-based tools use as a filler.
var opusSilence = [...]byte{0xf8, 0xff, 0xfe}

// makeOgg writes a complete Ogg Opus stream: the identification header (OpusHead) alone on the
// first page, the comment header (OpusTags) alone on the second, as RFC 7845 requires, then one
// last page of silent audio so that players see a stream that ends rather than a truncated one.
// The seed picks the stream's serial number and is named in the vendor string and a comment.
func makeOgg(seed uint64) []byte {
	serial := uint32(mix64(seed ^ 0x4f676753)) // "OggS"

	head := make([]byte, 0, 19)
	head = append(head, "OpusHead"...)
	head = append(head, 1, 1) // version 1, one channel
	head = binary.LittleEndian.AppendUint16(head, opusPreSkip)
	head = binary.LittleEndian.AppendUint32(head, 48000) // the input rate, informational only
	head = binary.LittleEndian.AppendUint16(head, 0)     // output gain
	head = append(head, 0)                               // channel mapping family 0: mono or stereo

	vendor := fmt.Sprintf("wahook mockprovider seed=%016x", seed)
	comments := []string{"WAHOOK_KEY=" + Key(Audio, seed), "TITLE=wahook mock voice note"}
	tags := make([]byte, 0, 64+len(vendor))
	tags = append(tags, "OpusTags"...)
	tags = binary.LittleEndian.AppendUint32(tags, uint32(len(vendor)))
	tags = append(tags, vendor...)
	tags = binary.LittleEndian.AppendUint32(tags, uint32(len(comments)))
	for _, c := range comments {
		tags = binary.LittleEndian.AppendUint32(tags, uint32(len(c)))
		tags = append(tags, c...)
	}

	audio := make([][]byte, opusFrames)
	for i := range audio {
		audio[i] = opusSilence[:]
	}

	const (
		bos = 0x02 // first page of the stream
		eos = 0x04 // last page of the stream
	)
	out := make([]byte, 0, 256+len(tags))
	out = appendOggPage(out, bos, 0, serial, 0, [][]byte{head})
	out = appendOggPage(out, 0, 0, serial, 1, [][]byte{tags})
	// The last page's granule position counts every sample decoded, pre-skip included.
	out = appendOggPage(out, eos, opusFrames*opusFrameSamples, serial, 2, audio)
	return out
}

// appendOggPage appends one page holding whole packets. Each packet's lacing values are runs of 255
// ended by a value under 255, so a packet whose length is a multiple of 255 ends with a 0; the
// packets here are far below the 255-segment limit of a page.
func appendOggPage(out []byte, flags byte, granule uint64, serial, sequence uint32, packets [][]byte) []byte {
	start := len(out)
	out = append(out, "OggS"...)
	out = append(out, 0, flags) // stream structure version 0
	out = binary.LittleEndian.AppendUint64(out, granule)
	out = binary.LittleEndian.AppendUint32(out, serial)
	out = binary.LittleEndian.AppendUint32(out, sequence)
	out = append(out, 0, 0, 0, 0) // CRC, filled in below over the finished page
	nsegsAt := len(out)
	out = append(out, 0)
	for _, p := range packets {
		for n := len(p); ; n -= 255 {
			if n < 255 {
				out = append(out, byte(n))
				break
			}
			out = append(out, 255)
		}
	}
	nsegs := len(out) - nsegsAt - 1
	if nsegs > 255 {
		panic(fmt.Sprintf("media: ogg page needs %d lacing values, at most 255 fit", nsegs))
	}
	out[nsegsAt] = byte(nsegs)
	for _, p := range packets {
		out = append(out, p...)
	}
	binary.LittleEndian.PutUint32(out[start+22:], oggCRC(out[start:]))
	return out
}

// oggCRCTable is the fixed 1 KiB table for Ogg's CRC-32: polynomial 0x04c11db7, not reflected, zero
// initial value and no final XOR, which matches none of hash/crc32's reflected variants.
var oggCRCTable = func() (t [256]uint32) {
	for i := range t {
		r := uint32(i) << 24
		for range 8 {
			if r&0x80000000 != 0 {
				r = r<<1 ^ 0x04c11db7
			} else {
				r <<= 1
			}
		}
		t[i] = r
	}
	return t
}()

// oggCRC computes a page's checksum; the caller passes the page with its CRC field zeroed.
func oggCRC(page []byte) uint32 {
	var crc uint32
	for _, b := range page {
		crc = crc<<8 ^ oggCRCTable[byte(crc>>24)^b]
	}
	return crc
}
